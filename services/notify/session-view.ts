/*
 * What the notification channels read of a session and a message: the client documents the
 * session service keeps as JSON text, parsed here (proto-map.ts) and read the way HAPI's
 * notification hub reads them.
 */

/** A session as the channels see it (from a proto Session, proto-map.ts). */
export interface SessionView {
  id: string;
  active: boolean;
  metadata: Record<string, unknown> | null;
  agentState: Record<string, unknown> | null;
}

export interface PendingRequest {
  id: string;
  tool: string;
  arguments: unknown;
}

/** A task the agent reports finished (Claude's `task_notification`), with its status when given. */
export interface TaskNotification {
  summary: string;
  status?: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function asObject(v: unknown): Record<string, unknown> | null {
  return isObject(v) ? v : null;
}

/** The session's pending permission requests, in the agent's order. */
export function pendingRequests(s: SessionView): PendingRequest[] {
  const requests = asObject(s.agentState?.requests);
  if (!requests) return [];
  return Object.entries(requests).map(([id, r]) => ({
    id,
    tool: isObject(r) && typeof r.tool === 'string' ? r.tool : 'unknown',
    arguments: isObject(r) ? r.arguments : undefined,
  }));
}

/** HAPI's session name for notifications: its name, else its summary, else its folder, else the id's start. */
export function notificationSessionName(s: SessionView): string {
  const m = s.metadata;
  if (m && typeof m.name === 'string' && m.name) return m.name;
  const summary = asObject(m?.summary);
  if (summary && typeof summary.text === 'string' && summary.text) return summary.text;
  if (m && typeof m.path === 'string' && m.path) return m.path.split('/').filter(Boolean).pop() ?? s.id.slice(0, 8);
  return s.id.slice(0, 8);
}

const FLAVOR_LABELS: Readonly<Record<string, string>> = {
  agy: 'Antigravity',
  claude: 'Claude',
  gemini: 'Gemini',
  kimi: 'Kimi',
  copilot: 'Copilot',
  grok: 'Grok Build',
  codex: 'Codex',
  dsh: 'DeepSeek Harness',
  cursor: 'Cursor',
  opencode: 'OpenCode',
  pi: 'Pi',
};

/** The agent's label (HAPI's flavor labels), or "Agent" for an unknown flavor. */
export function agentName(s: SessionView): string {
  const flavor = s.metadata?.flavor;
  return typeof flavor === 'string' && Object.hasOwn(FLAVOR_LABELS, flavor) ? FLAVOR_LABELS[flavor]! : 'Agent';
}

/** The `{type:'event', …}` envelope of a message's content (possibly wrapped in `{role, content}`). */
function eventEnvelope(content: unknown): Record<string, unknown> | null {
  const c = asObject(content);
  if (c?.type === 'event') return c;
  const inner = asObject(c?.content);
  return inner?.type === 'event' ? inner : null;
}

/** Is this message content the agent's "ready" event (its turn is over, it waits for input)? */
export function isReadyEvent(content: unknown): boolean {
  return asObject(eventEnvelope(content)?.data)?.type === 'ready';
}

function taskFromSystemOutput(m: Record<string, unknown>): TaskNotification | null {
  if (m.type !== 'output') return null;
  const data = asObject(m.data);
  if (!data || data.type !== 'system' || data.subtype !== 'task_notification') return null;
  const summary = typeof data.summary === 'string' ? data.summary.trim() : '';
  if (!summary) return null;
  return typeof data.status === 'string' ? { summary, status: data.status.trim() } : { summary };
}

function taskFromUserOutput(m: Record<string, unknown>): TaskNotification | null {
  if (m.type !== 'output') return null;
  const data = asObject(m.data);
  if (!data || data.type !== 'user') return null;
  const wrapped = asObject(data.message);
  const text = typeof data.content === 'string' ? data.content : wrapped?.content;
  if (typeof text !== 'string') return null;
  const trimmed = text.trimStart();
  if (!trimmed.startsWith('<task-notification>')) return null;
  const summary = /<summary>([\s\S]*?)<\/summary>/.exec(trimmed)?.[1]?.trim();
  if (!summary) return null;
  const status = /<status>([\s\S]*?)<\/status>/.exec(trimmed)?.[1]?.trim();
  return status ? { summary, status } : { summary };
}

/** The finished task a message reports (as Claude's output or as a `<task-notification>` text), or null. */
export function taskNotificationOf(content: unknown): TaskNotification | null {
  const message = asObject(content);
  if (!message) return null;
  const inner = asObject(message.content);
  for (const candidate of inner ? [inner, message] : [message]) {
    const found = taskFromSystemOutput(candidate) ?? taskFromUserOutput(candidate);
    if (found) return found;
  }
  return null;
}
