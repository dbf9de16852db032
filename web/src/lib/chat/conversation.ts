// Builds the conversation the page shows from stored messages: user rows, agent rows (text,
// thinking and tool calls, each tool call joined with its result from a later message and with the
// permission decision from the session's agentState), and event lines.
import { isRecord, normalizeMessage, str, type AgentEvent, type Attachment, type ChatMessage } from './normalize.js';

export interface ToolPermission {
  status: 'pending' | 'approved' | 'denied' | 'canceled' | 'resolved';
  decision: string | null;
  mode: string | null;
}

export interface ToolCall {
  id: string;
  name: string;
  input: unknown;
  description: string | null;
  result: { content: unknown; isError: boolean } | null;
  permission: ToolPermission | null;
  /** What a subagent started by this call said and did. */
  children: AgentItem[];
}

export type AgentItem = { type: 'text'; text: string } | { type: 'reasoning'; text: string } | { type: 'summary'; text: string } | { type: 'tool'; tool: ToolCall };

export interface StoredMessage {
  id: string;
  seq: number | null;
  localId: string | null;
  content: unknown;
  createdAt: number;
  invokedAt?: number | null;
  scheduledAt?: number | null;
  deliveryState?: string;
  steered?: boolean;
}

export type Row =
  | { kind: 'user'; key: string; message: StoredMessage; text: string; attachments: Attachment[] }
  | { kind: 'agent'; key: string; message: StoredMessage; items: AgentItem[] }
  | { kind: 'event'; key: string; message: StoredMessage; text: string; tone: 'info' | 'warn' };

function permissionsOf(agentState: unknown): Map<string, ToolPermission> {
  const map = new Map<string, ToolPermission>();
  if (!isRecord(agentState)) return map;
  if (isRecord(agentState.completedRequests)) {
    for (const [id, r] of Object.entries(agentState.completedRequests)) {
      if (!isRecord(r)) continue;
      const status = r.status === 'approved' || r.status === 'denied' || r.status === 'canceled' || r.status === 'resolved' ? r.status : 'resolved';
      const entry: ToolPermission = { status, decision: str(r.decision), mode: str(r.mode) };
      map.set(id, entry);
      const callId = str(r.toolCallId);
      if (callId) map.set(callId, entry);
    }
  }
  if (isRecord(agentState.requests)) {
    for (const [id, r] of Object.entries(agentState.requests)) {
      const entry: ToolPermission = { status: 'pending', decision: null, mode: null };
      map.set(id, entry);
      const callId = isRecord(r) ? str(r.toolCallId) : null;
      if (callId) map.set(callId, entry);
    }
  }
  return map;
}

export function eventText(e: AgentEvent): { text: string; tone: 'info' | 'warn' } {
  switch (e.kind) {
    case 'switch':
      return { text: e.mode === 'remote' ? 'Switched to remote control (this page and other devices)' : `Switched to ${e.mode} mode`, tone: 'info' };
    case 'message':
      return { text: e.text, tone: 'info' };
    case 'limit':
      return { text: e.endsAt ? `Usage limit reached until ${new Date(e.endsAt * (e.endsAt < 1e12 ? 1000 : 1)).toLocaleString()}` : 'Usage limit reached', tone: 'warn' };
    case 'mode':
      return { text: `Permission mode: ${e.mode}`, tone: 'info' };
    case 'title':
      return { text: `Title: ${e.title}`, tone: 'info' };
    case 'compact':
      return { text: 'Context compacted', tone: 'info' };
    case 'api-error':
      return { text: e.max ? `API error, retrying (${e.attempt} of ${e.max})` : 'API error', tone: 'warn' };
    case 'error':
      return { text: e.text, tone: 'warn' };
    default:
      return { text: `[${e.label}]`, tone: 'info' };
  }
}

/** The rows of a conversation, oldest first. Messages must already be in conversation order. */
export function buildConversation(messages: StoredMessage[], agentState?: unknown): Row[] {
  const permissions = permissionsOf(agentState);
  const tools = new Map<string, ToolCall>();
  const rows: Row[] = [];
  const toItems = (m: ChatMessage): AgentItem[] => {
    const items: AgentItem[] = [];
    for (const p of m.parts) {
      if (p.type === 'text' || p.type === 'reasoning' || p.type === 'summary') items.push({ type: p.type, text: p.text });
      else if (p.type === 'tool-call') {
        const existing = tools.get(p.id);
        // A plan update reuses one id: the newest one is shown, in its new place.
        const tool: ToolCall = { id: p.id, name: p.name, input: p.input, description: p.description, result: existing?.result ?? null, permission: permissions.get(p.id) ?? null, children: existing?.children ?? [] };
        tools.set(p.id, tool);
        items.push({ type: 'tool', tool });
      } else if (p.type === 'tool-result') {
        const tool = tools.get(p.toolUseId);
        if (tool) tool.result = { content: p.content, isError: p.isError };
      }
    }
    return items;
  };
  for (const stored of messages) {
    const m = normalizeMessage(stored);
    if (!m) continue;
    const key = stored.localId ?? stored.id;
    if (m.role === 'user') {
      const text = m.parts.map((p) => (p.type === 'text' ? p.text : '')).join('\n');
      rows.push({ kind: 'user', key, message: stored, text, attachments: m.attachments });
      continue;
    }
    if (m.role === 'event') {
      const ev = m.parts[0];
      if (ev?.type === 'event') rows.push({ kind: 'event', key, message: stored, ...eventText(ev.event) });
      continue;
    }
    const items = toItems(m);
    const parent = m.parentToolUseId ? tools.get(m.parentToolUseId) : undefined;
    if (parent && m.sidechain) {
      parent.children.push(...items);
      continue;
    }
    if (items.length) rows.push({ kind: 'agent', key, message: stored, items });
  }
  // A plan is one living list: only its newest version is shown.
  const seenPlans = new Set<string>();
  for (let i = rows.length - 1; i >= 0; i--) {
    const row = rows[i]!;
    if (row.kind !== 'agent') continue;
    row.items = row.items.filter((it) => {
      if (it.type !== 'tool' || it.tool.name !== 'update_plan') return true;
      if (seenPlans.has(it.tool.id)) return false;
      seenPlans.add(it.tool.id);
      return true;
    });
  }
  return rows.filter((r) => r.kind !== 'agent' || r.items.length > 0);
}
