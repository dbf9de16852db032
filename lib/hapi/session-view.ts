/**
 * HAPI's Session, SessionSummary and message JSON built from our proto records. The real CLI and
 * web validate these with strict schemas, so key order, nullability and number types follow the
 * reference hub's answers byte for byte (transcripts D, E, H, J; shared/src/sessionSummary.ts).
 */
import type { Message, Session } from '../gen/teamhub/session/v1/session.js';
import { fromJsonText } from '../json.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** HAPI keeps session metadata only when it is an object with string `path` and `host`. */
export function isValidSessionMetadata(value: unknown): value is Record<string, unknown> {
  return isObject(value) && typeof value.path === 'string' && typeof value.host === 'string';
}

/** HAPI keeps agent state only when it is an object. */
export function isValidAgentState(value: unknown): value is Record<string, unknown> {
  return isObject(value);
}

/** Exact HAPI Session JSON. Optional keys (todos, teamState, permissionMode) appear only when set. */
export function toHapiSession(s: Session): Record<string, unknown> {
  const metadata = fromJsonText(s.metadataJson);
  const preferred = isObject(metadata) && typeof metadata.preferredPermissionMode === 'string' ? metadata.preferredPermissionMode : undefined;
  const out: Record<string, unknown> = {
    hasConversationContent: s.hasConversationContent,
    id: s.id,
    namespace: s.namespace,
    seq: s.seq,
    createdAt: s.createdAt,
    updatedAt: s.updatedAt,
    pinned: s.pinned,
    globalPinned: false,
    active: s.active,
    activeAt: s.activeAt,
    metadata,
    metadataVersion: s.metadataVersion,
    agentState: fromJsonText(s.agentStateJson),
    agentStateVersion: s.agentStateVersion,
    thinking: s.thinking,
    thinkingAt: s.thinkingAt,
    activeTurnStartedAt: s.activeTurnStartedAt ?? null,
    backgroundTaskCount: s.backgroundTaskCount,
  };
  if (s.todosJson !== undefined) out.todos = fromJsonText(s.todosJson);
  if (s.teamStateJson !== undefined) out.teamState = fromJsonText(s.teamStateJson);
  out.todosUpdatedAt = s.todosUpdatedAt;
  out.teamStateUpdatedAt = s.teamStateUpdatedAt;
  out.model = s.model ?? null;
  out.modelReasoningEffort = s.modelReasoningEffort ?? null;
  out.effort = s.effort ?? null;
  out.serviceTier = s.serviceTier ?? null;
  const permissionMode = s.permissionMode ?? preferred;
  if (permissionMode !== undefined) out.permissionMode = permissionMode;
  return out;
}

export type PendingRequestKind = 'permission' | 'input';
export interface PendingRequest {
  id: string;
  kind: PendingRequestKind;
  tool: string;
  since: number;
}

const INPUT_REQUEST_TOOLS = new Set(['AskUserQuestion', 'ask_user_question', 'ExitPlanMode', 'exit_plan_mode', 'request_user_input']);
/** HAPI caps the per-row pending request list; the count stays authoritative. */
export const PENDING_REQUEST_SUMMARY_CAP = 5;

function requestsOf(agentState: unknown): Record<string, unknown> | null {
  return isObject(agentState) && isObject(agentState.requests) ? agentState.requests : null;
}

const kindOf = (tool: string): PendingRequestKind => (INPUT_REQUEST_TOOLS.has(tool) ? 'input' : 'permission');

function pendingRequests(agentState: unknown, fallbackSince: number): PendingRequest[] {
  const requests = requestsOf(agentState);
  if (!requests) return [];
  const items: PendingRequest[] = Object.entries(requests).map(([id, r]) => {
    const tool = isObject(r) && typeof r.tool === 'string' ? r.tool : '';
    const since = isObject(r) && typeof r.createdAt === 'number' ? r.createdAt : fallbackSince;
    return { id, kind: kindOf(tool), tool, since };
  });
  items.sort((a, b) => (a.since !== b.since ? a.since - b.since : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return items.slice(0, PENDING_REQUEST_SUMMARY_CAP);
}

function pendingKinds(agentState: unknown): PendingRequestKind[] {
  const requests = requestsOf(agentState);
  if (!requests) return [];
  const kinds = new Set(Object.values(requests).map((r) => kindOf(isObject(r) && typeof r.tool === 'string' ? r.tool : '')));
  return kinds.has('permission') && kinds.has('input') ? ['permission', 'input'] : [...kinds];
}

function todoProgress(todosJson: string | undefined): { completed: number; total: number } | null {
  const todos = fromJsonText(todosJson);
  if (!Array.isArray(todos) || todos.length === 0) return null;
  return { completed: todos.filter((t) => isObject(t) && t.status === 'completed').length, total: todos.length };
}

/** The summary copy of metadata: {name?, path, machineId?, summary?: {text}, flavor, worktree?, lifecycleState?}. */
export function toSummaryMetadata(metadata: unknown): Record<string, unknown> | null {
  if (!isObject(metadata)) return null;
  const summary = isObject(metadata.summary) ? { text: metadata.summary.text } : undefined;
  const out: Record<string, unknown> = {};
  if (metadata.name !== undefined) out.name = metadata.name;
  out.path = metadata.path;
  if (metadata.machineId !== undefined && metadata.machineId !== null) out.machineId = metadata.machineId;
  if (summary) out.summary = summary;
  out.flavor = metadata.flavor ?? null;
  if (metadata.worktree !== undefined) out.worktree = metadata.worktree;
  if (metadata.lifecycleState !== undefined) out.lifecycleState = metadata.lifecycleState;
  return out;
}

export interface HapiSessionSummary extends Record<string, unknown> {
  id: string;
  active: boolean;
  pinned: boolean;
  globalPinned: boolean;
  pendingRequestsCount: number;
  updatedAt: number;
}

/** One item of `GET /api/sessions` (SessionSummary + futureScheduledMessageCount/nextScheduledAt). */
export function toHapiSessionSummary(s: Session): HapiSessionSummary {
  const agentState = fromJsonText(s.agentStateJson);
  const requests = requestsOf(agentState);
  return {
    hasConversationContent: s.hasConversationContent,
    id: s.id,
    active: s.active,
    thinking: s.thinking,
    activeAt: s.activeAt,
    updatedAt: s.updatedAt,
    pinned: s.pinned,
    globalPinned: false,
    metadata: toSummaryMetadata(fromJsonText(s.metadataJson)),
    metadataVersion: s.metadataVersion,
    agentStateVersion: s.agentStateVersion,
    todosUpdatedAt: s.todosUpdatedAt,
    todoProgress: todoProgress(s.todosJson),
    pendingRequestsCount: requests ? Object.keys(requests).length : 0,
    pendingRequestKinds: pendingKinds(agentState),
    pendingRequests: pendingRequests(agentState, s.updatedAt),
    backgroundTaskCount: s.backgroundTaskCount,
    futureScheduledMessageCount: 0,
    nextScheduledAt: null,
    model: s.model ?? null,
    modelReasoningEffort: s.modelReasoningEffort ?? null,
    effort: s.effort ?? null,
  };
}

/** HAPI's list order: globalPinned, pinned, active, pending requests (desc), updatedAt (desc). Returns a new array. */
export function sortSessionSummaries<T extends HapiSessionSummary>(items: readonly T[]): T[] {
  const flag = (b: boolean) => (b ? 1 : 0);
  return [...items].sort(
    (a, b) =>
      flag(b.globalPinned) - flag(a.globalPinned) ||
      flag(b.pinned) - flag(a.pinned) ||
      flag(b.active) - flag(a.active) ||
      b.pendingRequestsCount - a.pendingRequestsCount ||
      b.updatedAt - a.updatedAt,
  );
}

/** A message as the web sees it (SSE `message-received`, `/api/.../messages`). */
export function toHapiMessage(m: Message): Record<string, unknown> {
  return {
    id: m.id,
    seq: m.seq,
    localId: m.localId ?? null,
    content: fromJsonText(m.contentJson),
    createdAt: m.createdAt,
    invokedAt: m.invokedAt ?? null,
  };
}

/** A message as the CLI sees it (`/cli/sessions/:id/messages`, socket `update` new-message). */
export function toHapiCliMessage(m: Message): Record<string, unknown> {
  return { id: m.id, seq: m.seq, createdAt: m.createdAt, localId: m.localId ?? null, content: fromJsonText(m.contentJson) };
}
