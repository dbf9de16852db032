import { agentName, asObject, notificationSessionName, pendingRequests, type SessionView, type TaskNotification } from './session-view.js';

/**
 * What a Web Push carries, as HAPI's web app and service worker read it: `title` and `body` for the
 * notification, `tag` so a newer one replaces the last of its kind, and `data.url` to open on tap.
 */
export interface PushPayload {
  title: string;
  body: string;
  tag?: string;
  data: { type: string; sessionId: string; url: string; requestId?: string };
}

/** Tools that ask the user something instead of asking for permission (HAPI's list). */
const INPUT_REQUEST_TOOLS = new Set(['request_user_input', 'AskUserQuestion', 'ask_user_question', 'CursorAskQuestion']);
const BODY_LIMIT = 280;
const SESSION_NAME_LIMIT = 80;
const FALLBACK_QUESTION = 'Open the session to view and answer the question.';
const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

export const sessionPath = (sessionId: string): string => `/sessions/${sessionId}`;

const oneLine = (v: unknown): string => (typeof v === 'string' ? v.replace(/\s+/gu, ' ').trim() : '');
const length = (s: string): number => Array.from(s).length;

/** At most `limit` code points, cut at a grapheme boundary with an ellipsis (HAPI's truncation). */
export function truncate(text: string, limit: number): string {
  if (limit <= 0) return '';
  if (length(text) <= limit) return text;
  let out = '';
  let n = 0;
  for (const { segment } of graphemes.segment(text)) {
    const size = length(segment);
    if (n + size > limit - 1) break;
    out += segment;
    n += size;
  }
  return `${out.trimEnd()}…`;
}

function questionsPreview(args: unknown, limit: number): string {
  const a = asObject(args);
  const questions = Array.isArray(a?.questions)
    ? a.questions.flatMap((q) => {
        const o = asObject(q);
        const text = oneLine(o?.question) || oneLine(o?.header);
        return text ? [text] : [];
      })
    : [];
  const more = questions.length - 1;
  const suffix = more > 0 ? `\n+${more} more question${more === 1 ? '' : 's'}` : '';
  const first = truncate(questions[0] ?? FALLBACK_QUESTION, Math.max(0, limit - length(suffix)));
  return truncate(`${first}${suffix}`, limit);
}

/**
 * A permission request of `s` (HAPI names the session's first pending request): "Permission
 * Request" with the tool, or, for a question to the user, "<Agent> needs your input" with it.
 */
export function permissionPayload(s: SessionView): PushPayload {
  const first = pendingRequests(s)[0];
  const tool = first?.tool.startsWith('functions.') ? first.tool.slice('functions.'.length) : first?.tool;
  if (first && tool !== undefined && INPUT_REQUEST_TOOLS.has(tool)) {
    const name = truncate(oneLine(notificationSessionName(s)), SESSION_NAME_LIMIT);
    const context = name ? `\n${name}` : '';
    return {
      title: `${agentName(s)} needs your input`,
      body: `${questionsPreview(first.arguments, BODY_LIMIT - length(context))}${context}`,
      tag: `input-request-${s.id}`,
      data: { type: 'input-request', sessionId: s.id, url: sessionPath(s.id), requestId: first.id },
    };
  }
  const data: PushPayload['data'] = { type: 'permission-request', sessionId: s.id, url: sessionPath(s.id) };
  if (first) data.requestId = first.id;
  return { title: 'Permission Request', body: `${notificationSessionName(s)}${first ? ` (${first.tool})` : ''}`, tag: `permission-${s.id}`, data };
}

/** The agent finished its turn and waits for input. */
export function readyPayload(s: SessionView): PushPayload {
  return {
    title: 'Ready for input',
    body: `${agentName(s)} is waiting in ${notificationSessionName(s)}`,
    tag: `ready-${s.id}`,
    data: { type: 'ready', sessionId: s.id, url: sessionPath(s.id) },
  };
}

/** A task the agent reported finished (or failed). */
export function taskPayload(s: SessionView, task: TaskNotification): PushPayload {
  const status = task.status?.trim().toLowerCase();
  const failed = status === 'failed' || status === 'error' || status === 'killed' || status === 'aborted';
  return {
    title: failed ? 'Task failed' : 'Task completed',
    body: `${agentName(s)} · ${notificationSessionName(s)} · ${task.summary}`,
    data: { type: 'task-notification', sessionId: s.id, url: sessionPath(s.id) },
  };
}
