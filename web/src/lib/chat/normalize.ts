// Turns one stored HAPI message (`{role, content, meta}` as the hapi CLI and the hub write it) into
// parts the conversation shows. Everything here is untrusted data from the agent's machine: it is
// only ever read as plain values, never as markup.

export interface Attachment {
  id: string;
  filename: string;
  mimeType: string;
  size: number;
  path: string;
}

export type AgentEvent =
  | { kind: 'switch'; mode: string }
  | { kind: 'message'; text: string }
  | { kind: 'limit'; endsAt: number | null }
  | { kind: 'mode'; mode: string }
  | { kind: 'title'; title: string }
  | { kind: 'compact' }
  | { kind: 'api-error'; attempt: number; max: number }
  | { kind: 'error'; text: string }
  | { kind: 'other'; label: string };

export type Part =
  | { type: 'text'; text: string }
  | { type: 'reasoning'; text: string }
  | { type: 'tool-call'; id: string; name: string; input: unknown; description: string | null }
  | { type: 'tool-result'; toolUseId: string; content: unknown; isError: boolean }
  | { type: 'summary'; text: string }
  | { type: 'event'; event: AgentEvent };

export interface ChatMessage {
  id: string;
  localId: string | null;
  seq: number | null;
  createdAt: number;
  role: 'user' | 'agent' | 'event';
  parts: Part[];
  attachments: Attachment[];
  /** Set on a subagent's (Task) messages: the tool call they belong to. */
  parentToolUseId: string | null;
  sidechain: boolean;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function parseContent(raw: unknown): Record<string, unknown> | null {
  if (typeof raw === 'string') {
    try {
      const parsed: unknown = JSON.parse(raw);
      return isRecord(parsed) ? parsed : null;
    } catch {
      return null;
    }
  }
  return isRecord(raw) ? raw : null;
}

export function readAttachments(v: unknown): Attachment[] {
  if (!Array.isArray(v)) return [];
  const out: Attachment[] = [];
  for (const a of v) {
    if (!isRecord(a)) continue;
    const id = str(a.id);
    const filename = str(a.filename);
    const path = str(a.path);
    if (!id || !filename || !path) continue;
    out.push({ id, filename, path, mimeType: str(a.mimeType) ?? 'application/octet-stream', size: num(a.size) ?? 0 });
  }
  return out;
}

interface Stored {
  id: string;
  localId?: string | null;
  seq?: number | null;
  createdAt: number;
  content: unknown;
}

/** Claude's assistant message: text, thinking and tool_use blocks. */
function claudeAssistant(data: Record<string, unknown>): Part[] {
  const message = isRecord(data.message) ? data.message : null;
  const content = message?.content;
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  if (!Array.isArray(content)) return [];
  const parts: Part[] = [];
  for (const b of content) {
    if (!isRecord(b)) continue;
    if (b.type === 'text' && typeof b.text === 'string') parts.push({ type: 'text', text: b.text });
    else if (b.type === 'thinking' && typeof b.thinking === 'string') parts.push({ type: 'reasoning', text: b.thinking });
    else if (b.type === 'tool_use' && typeof b.id === 'string') {
      const input = b.input;
      const description = isRecord(input) ? str(input.description) : null;
      parts.push({ type: 'tool-call', id: b.id, name: str(b.name) ?? 'Tool', input, description });
    }
  }
  return parts;
}

/** Claude's "user" output: tool results, or text the user typed in the terminal. */
function claudeUser(data: Record<string, unknown>): { role: 'user' | 'agent'; parts: Part[] } {
  const message = isRecord(data.message) ? data.message : null;
  const content = message?.content;
  const sidechain = data.isSidechain === true;
  if (typeof content === 'string') return sidechain ? { role: 'agent', parts: [{ type: 'text', text: content }] } : { role: 'user', parts: [{ type: 'text', text: content }] };
  if (!Array.isArray(content)) return { role: 'agent', parts: [] };
  const texts = content.filter((b) => isRecord(b) && b.type === 'text' && typeof b.text === 'string').map((b) => (b as { text: string }).text);
  if (!sidechain && texts.length > 0 && texts.length === content.length) return { role: 'user', parts: [{ type: 'text', text: texts.join('\n') }] };
  const parts: Part[] = [];
  for (const b of content) {
    if (!isRecord(b)) continue;
    if (b.type === 'text' && typeof b.text === 'string') parts.push({ type: 'text', text: b.text });
    else if (b.type === 'tool_result' && typeof b.tool_use_id === 'string') {
      const structured = 'toolUseResult' in data ? data.toolUseResult : undefined;
      parts.push({ type: 'tool-result', toolUseId: b.tool_use_id, content: b.content ?? structured, isError: b.is_error === true });
    }
  }
  return { role: 'agent', parts };
}

function claudeOutput(data: Record<string, unknown>): { role: ChatMessage['role']; parts: Part[] } | null {
  if (data.isMeta === true || data.isCompactSummary === true) return null;
  if (data.type === 'assistant') return { role: 'agent', parts: claudeAssistant(data) };
  if (data.type === 'user') return claudeUser(data);
  if (data.type === 'summary' && typeof data.summary === 'string') return { role: 'agent', parts: [{ type: 'summary', text: data.summary }] };
  if (data.type === 'system') {
    if (data.subtype === 'api_error') return { role: 'event', parts: [{ type: 'event', event: { kind: 'api-error', attempt: num(data.retryAttempt) ?? 0, max: num(data.maxRetries) ?? 0 } }] };
    if (data.subtype === 'compact_boundary' || data.subtype === 'microcompact_boundary') return { role: 'event', parts: [{ type: 'event', event: { kind: 'compact' } }] };
  }
  // init, turn timing and other bookkeeping records are not part of the conversation
  return null;
}

/** Codex (and the other agents that use HAPI's `codex` payload): one item per message. */
function codexOutput(data: Record<string, unknown>): { role: ChatMessage['role']; parts: Part[] } | null {
  const t = data.type;
  if (t === 'message' && typeof data.message === 'string') return { role: 'agent', parts: [{ type: 'text', text: data.message }] };
  if (t === 'reasoning' && typeof data.message === 'string') return { role: 'agent', parts: [{ type: 'reasoning', text: data.message }] };
  if (t === 'tool-call' && typeof data.callId === 'string') {
    return { role: 'agent', parts: [{ type: 'tool-call', id: data.callId, name: str(data.name) ?? 'unknown', input: data.input, description: str(data.description) }] };
  }
  if (t === 'tool-call-result' && typeof data.callId === 'string') {
    return { role: 'agent', parts: [{ type: 'tool-result', toolUseId: data.callId, content: data.output, isError: data.is_error === true }] };
  }
  if (t === 'plan' || t === 'plan_update') {
    const plan = planSteps(data.plan ?? data.entries ?? data.items ?? data.steps ?? data);
    if (plan.length === 0) return null;
    const id = `${t}-${str(data.id) ?? ''}`;
    return { role: 'agent', parts: [{ type: 'tool-call', id, name: 'update_plan', input: { plan }, description: null }] };
  }
  if (t === 'error' && typeof data.message === 'string') return { role: 'event', parts: [{ type: 'event', event: { kind: 'error', text: data.message } }] };
  if (t === 'context_compacted') return { role: 'event', parts: [{ type: 'event', event: { kind: 'compact' } }] };
  // token counts, run traces and the like are bookkeeping, not conversation
  return null;
}

export interface PlanStep {
  step: string;
  status: 'pending' | 'in_progress' | 'completed';
}

function stepStatus(v: unknown): PlanStep['status'] {
  const s = typeof v === 'string' ? v.trim().toLowerCase().replace(/[\s-]/g, '_') : '';
  if (s === 'completed' || s === 'complete' || s === 'done') return 'completed';
  if (s === 'in_progress' || s === 'inprogress' || s === 'active' || s === 'running') return 'in_progress';
  return 'pending';
}

/** A plan in any of the shapes the agents send: a list of strings or of `{step|content|text, status}`. */
export function planSteps(v: unknown): PlanStep[] {
  const list = Array.isArray(v) ? v : isRecord(v) && Array.isArray(v.plan) ? v.plan : isRecord(v) && Array.isArray(v.items) ? v.items : [];
  const out: PlanStep[] = [];
  for (const s of list) {
    if (typeof s === 'string') out.push({ step: s, status: 'pending' });
    else if (isRecord(s)) {
      const text = str(s.step) ?? str(s.content) ?? str(s.text) ?? str(s.title) ?? str(s.description);
      if (text) out.push({ step: text, status: stepStatus(s.status ?? s.state) });
    }
  }
  return out;
}

function agentEvent(data: Record<string, unknown>): AgentEvent | null {
  const t = str(data.type);
  if (!t) return null;
  if (t === 'switch') return { kind: 'switch', mode: str(data.mode) ?? 'unknown' };
  if (t === 'message') return { kind: 'message', text: str(data.message) ?? '' };
  if (t === 'limit-reached') return { kind: 'limit', endsAt: num(data.endsAt) };
  if (t === 'permission-mode-changed') return { kind: 'mode', mode: str(data.mode) ?? 'default' };
  if (t === 'title-changed') return { kind: 'title', title: str(data.title) ?? '' };
  if (t === 'ready') return null; // the agent waits for input: the page shows that as state, not as a row
  return { kind: 'other', label: t };
}

/** One stored message as the conversation reads it, or null when it is bookkeeping only. */
export function normalizeMessage(m: Stored): ChatMessage | null {
  const base = { id: m.id, localId: m.localId ?? null, seq: m.seq ?? null, createdAt: m.createdAt, attachments: [] as Attachment[], parentToolUseId: null, sidechain: false };
  const c = parseContent(m.content);
  if (!c) return { ...base, role: 'agent', parts: [{ type: 'text', text: typeof m.content === 'string' ? m.content : '' }] };
  const inner = c.content;
  if (c.role === 'user') {
    if (typeof inner === 'string') return { ...base, role: 'user', parts: [{ type: 'text', text: inner }] };
    if (isRecord(inner) && typeof inner.text === 'string') return { ...base, role: 'user', parts: [{ type: 'text', text: inner.text }], attachments: readAttachments(inner.attachments) };
    return { ...base, role: 'user', parts: [] };
  }
  if (c.role !== 'agent' || !isRecord(inner)) return null;
  const data = isRecord(inner.data) ? inner.data : null;
  if (inner.type === 'event') {
    const ev = data ? agentEvent(data) : null;
    return ev ? { ...base, role: 'event', parts: [{ type: 'event', event: ev }] } : null;
  }
  if (!data) return typeof inner.text === 'string' ? { ...base, role: 'agent', parts: [{ type: 'text', text: inner.text }] } : null;
  const read = inner.type === 'output' ? claudeOutput(data) : inner.type === 'codex' ? codexOutput(data) : null;
  if (!read || read.parts.length === 0) return null;
  return { ...base, role: read.role, parts: read.parts, parentToolUseId: str(data.parentToolUseId), sidechain: data.isSidechain === true };
}
