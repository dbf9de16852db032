/**
 * HAPI's Session, SessionSummary and message JSON built from our proto records. The real CLI and
 * web validate these with strict schemas, so key order, nullability and number types follow the
 * reference hub's answers byte for byte (REST answers, SSE events and socket acks alike).
 */
import { MessageDeliveryState, type Message, type Session } from '../../lib/gen/teamhub/session/v1/session.js';
import { fromJsonText } from '../../lib/json.js';
import { AGENT_FLAVORS, AGENT_SESSION_ID_KEY, type AgentFlavor } from './session-rules.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

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
    globalPinned: s.globalPinned,
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
  if (s.collaborationMode !== undefined) out.collaborationMode = s.collaborationMode;
  if (s.copilotAgentMode !== undefined) out.copilotAgentMode = s.copilotAgentMode;
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

/** The agent's own session id for the list (the flavor's key; for an unknown flavor the first one set). */
function summaryAgentSessionId(metadata: Record<string, unknown>): string | undefined {
  const flavor = metadata.flavor;
  if (typeof flavor === 'string' && (AGENT_FLAVORS as readonly string[]).includes(flavor)) {
    const key = AGENT_SESSION_ID_KEY[flavor as AgentFlavor];
    const v = key ? metadata[key] : undefined;
    return typeof v === 'string' && v.trim() ? v.trim() : undefined;
  }
  for (const key of ['codexSessionId', 'claudeSessionId', 'geminiSessionId', 'opencodeSessionId', 'grokSessionId', 'agySessionId', 'cursorSessionId', 'kimiSessionId', 'copilotSessionId']) {
    const v = metadata[key];
    if (v !== undefined && v !== null) return v as string;
  }
  return undefined;
}

/** The summary copy of metadata: {name?, path, machineId?, summary?: {text}, flavor, worktree?, agentSessionId?, lifecycleState?, hapiMcpUrl?}. */
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
  const agentSessionId = summaryAgentSessionId(metadata);
  if (agentSessionId !== undefined) out.agentSessionId = agentSessionId;
  if (metadata.lifecycleState !== undefined) out.lifecycleState = metadata.lifecycleState;
  if (metadata.hapiMcpUrl !== undefined && metadata.hapiMcpUrl !== null) out.hapiMcpUrl = metadata.hapiMcpUrl;
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
export function toHapiSessionSummary(s: Session, scheduled?: { count: number; nextAt: number }): HapiSessionSummary {
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
    globalPinned: s.globalPinned,
    metadata: toSummaryMetadata(fromJsonText(s.metadataJson)),
    metadataVersion: s.metadataVersion,
    agentStateVersion: s.agentStateVersion,
    todosUpdatedAt: s.todosUpdatedAt,
    todoProgress: todoProgress(s.todosJson),
    pendingRequestsCount: requests ? Object.keys(requests).length : 0,
    pendingRequestKinds: pendingKinds(agentState),
    pendingRequests: pendingRequests(agentState, s.updatedAt),
    backgroundTaskCount: s.backgroundTaskCount,
    futureScheduledMessageCount: scheduled?.count ?? 0,
    nextScheduledAt: scheduled?.nextAt ?? null,
    model: s.model ?? null,
    modelReasoningEffort: s.modelReasoningEffort ?? null,
    effort: s.effort ?? null,
  };
}

/** HAPI's list order: globalPinned, pinned, active, pending requests of active ones (desc), updatedAt (desc). Returns a new array. */
export function sortSessionSummaries<T extends HapiSessionSummary>(items: readonly T[]): T[] {
  const flag = (b: boolean) => (b ? 1 : 0);
  return [...items].sort(
    (a, b) =>
      flag(b.globalPinned) - flag(a.globalPinned) ||
      flag(b.pinned) - flag(a.pinned) ||
      flag(b.active) - flag(a.active) ||
      (a.active ? b.pendingRequestsCount - a.pendingRequestsCount : 0) ||
      b.updatedAt - a.updatedAt,
  );
}

/**
 * A message's content as clients see it: the stored JSON text parsed. The session service keeps
 * the text opaque (the gateway wrote it with JSON.stringify); should an internal caller ever have
 * stored text that is not JSON, it is shown as that string rather than breaking the whole list.
 */
export function messageContent(m: Message): unknown {
  try {
    return JSON.parse(m.contentJson) as unknown;
  } catch {
    return m.contentJson;
  }
}

/**
 * A web message's content as a client is shown it. The stored content of a web message has no
 * delivery mode: the session service keeps it as a field (it applies HAPI's steer rule after the
 * gateway built the content), and it is put back where HAPI has it, `meta.deliveryMode`. A
 * message delivered later than it was sent (scheduled, replayed, retried, backfilled) is always
 * `queue`: steering only makes sense into the turn that was running when it was sent.
 */
export function contentWithDelivery(m: Message, content: unknown, deferred: boolean): unknown {
  if (m.deliveryMode === undefined || !isObject(content) || !isObject(content.meta)) return content;
  const mode = deferred ? 'queue' : m.deliveryMode;
  return { ...content, meta: { ...content.meta, deliveryMode: mode } };
}

/** HAPI shows every delivery state but `queued` as `indeterminate`. */
const deliveryStateOf = (m: Message): 'indeterminate' | undefined =>
  m.deliveryState === undefined || m.deliveryState === MessageDeliveryState.MESSAGE_DELIVERY_STATE_QUEUED || m.deliveryState === MessageDeliveryState.MESSAGE_DELIVERY_STATE_UNSPECIFIED ? undefined : 'indeterminate';

/** A message posted ahead of its time waits; the CLI is not told of it before then. */
export const isHeldForLater = (m: Message): boolean => m.scheduledAt !== undefined && m.scheduledAt > m.createdAt;

/**
 * A message as the web sees it (SSE `message-received`, `/api/.../messages`): HAPI's
 * DecryptedMessage. `content` is the parsed `contentJson` when the caller already has it (one
 * parse serves both shapes of an event). HAPI leaves `scheduledAt` out of the live event of a
 * message the CLI sent (`withScheduledAt: false`); pages and web messages always carry it.
 */
export function toHapiMessage(m: Message, content: unknown = messageContent(m), opts: { withScheduledAt?: boolean } = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: m.id,
    seq: m.seq,
    localId: m.localId ?? null,
    content: contentWithDelivery(m, content, false),
    createdAt: m.createdAt,
    invokedAt: m.invokedAt ?? null,
  };
  if (opts.withScheduledAt ?? true) out.scheduledAt = m.scheduledAt ?? null;
  const state = deliveryStateOf(m);
  if (state) out.deliveryState = state;
  return out;
}

/**
 * A message as the CLI's socket gets it (`update` new-message / retry-queued-message); `deferred`
 * when it goes out later than it was sent (see contentWithDelivery).
 */
export function toHapiCliMessage(m: Message, content: unknown = messageContent(m), deferred = false): Record<string, unknown> {
  return { id: m.id, seq: m.seq, createdAt: m.createdAt, localId: m.localId ?? null, content: contentWithDelivery(m, content, deferred) };
}

/** A message of the CLI's backfill (`GET /cli/sessions/:id/messages`): always deferred. */
export function toHapiBackfillMessage(m: Message): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: m.id,
    seq: m.seq,
    localId: m.localId ?? null,
    content: contentWithDelivery(m, messageContent(m), true),
    createdAt: m.createdAt,
    invokedAt: m.invokedAt ?? null,
    scheduledAt: m.scheduledAt ?? null,
  };
  const state = deliveryStateOf(m);
  if (state) out.deliveryState = state;
  return out;
}
