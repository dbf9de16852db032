import type { InlineKeyboard } from './bot-api.js';
import { encodeCallbackData } from './callback-data.js';
import { asObject, type PendingRequest, type SessionView } from '../session-view.js';

export const TEXTS = {
  start: 'Welcome to teamhub! Use the Mini App for full session management.',
  app: 'Open teamhub Mini App:',
  notBound: 'Telegram account is not bound',
  sessionNotFound: 'Session not found',
  sessionInactive: 'Session is inactive',
  requestMissing: 'Request is no longer pending',
  approved: 'Approved',
  denied: 'Denied',
  failed: 'Could not reach the agent',
  unknown: 'Unknown action',
} as const;

/** Tools that ask the user a question instead of asking for permission (no approve/deny). */
const INPUT_REQUEST_TOOLS = new Set(['AskUserQuestion', 'ask_user_question', 'ExitPlanMode', 'exit_plan_mode', 'request_user_input']);

export function sessionName(s: SessionView): string {
  const m = s.metadata;
  if (m && typeof m.name === 'string' && m.name.trim()) return m.name.trim();
  const summary = asObject(m?.summary);
  if (summary && typeof summary.text === 'string' && summary.text.trim()) return summary.text.trim();
  if (m && typeof m.path === 'string' && m.path.trim()) return m.path.trim().split('/').filter(Boolean).pop() ?? m.path;
  return s.id.slice(0, 8);
}

function contextLines(s: SessionView): string[] {
  const lines = [`Session: ${sessionName(s)}`];
  const path = s.metadata && typeof s.metadata.path === 'string' ? s.metadata.path.trim() : '';
  if (path) lines.push(`Path: ${path}`);
  return lines;
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function argumentsLine(args: unknown): string | null {
  if (args === undefined || args === null) return null;
  const a = asObject(args);
  if (a && typeof a.command === 'string') return `Command: ${clip(a.command, 500)}`;
  if (a && typeof a.file_path === 'string') return `File: ${clip(a.file_path, 500)}`;
  try {
    return `Arguments: ${clip(JSON.stringify(args), 500)}`;
  } catch {
    return null;
  }
}

export function miniAppLink(publicUrl: string, sessionId?: string): string {
  if (sessionId === undefined) return publicUrl;
  try {
    const url = new URL(publicUrl);
    url.searchParams.set('startapp', `session_${sessionId}`);
    return url.toString();
  } catch {
    return `${publicUrl}${publicUrl.includes('?') ? '&' : '?'}startapp=${encodeURIComponent(`session_${sessionId}`)}`;
  }
}

export function openAppKeyboard(publicUrl: string): InlineKeyboard {
  return { inline_keyboard: [[{ text: 'Open App', web_app: { url: publicUrl } }]] };
}

function openSessionKeyboard(publicUrl: string, sessionId: string): InlineKeyboard {
  return { inline_keyboard: [[{ text: 'Open Session', web_app: { url: miniAppLink(publicUrl, sessionId) } }]] };
}

export function permissionNotification(s: SessionView, req: PendingRequest, publicUrl: string): { text: string; keyboard: InlineKeyboard } {
  const input = INPUT_REQUEST_TOOLS.has(req.tool);
  const lines = [input ? 'Input requested' : 'Permission request', '', ...contextLines(s), `Tool: ${req.tool}`];
  const args = argumentsLine(req.arguments);
  if (args) lines.push(args);
  const text = clip(lines.join('\n'), 4000);
  if (input) return { text, keyboard: openSessionKeyboard(publicUrl, s.id) };
  return {
    text,
    keyboard: {
      inline_keyboard: [
        [
          { text: 'Approve', callback_data: encodeCallbackData('ap', s.id, req.id) },
          { text: 'Deny', callback_data: encodeCallbackData('dn', s.id, req.id) },
        ],
        [{ text: 'Details', web_app: { url: miniAppLink(publicUrl, s.id) } }],
      ],
    },
  };
}

export function readyNotification(s: SessionView, publicUrl: string): { text: string; keyboard: InlineKeyboard } {
  return { text: ['Agent ready', '', ...contextLines(s), 'The agent is waiting for your input.'].join('\n'), keyboard: openSessionKeyboard(publicUrl, s.id) };
}

export function taskFinishedNotification(s: SessionView, reason: string | undefined, publicUrl: string): { text: string; keyboard: InlineKeyboard } {
  const failed = reason !== undefined && /fail|error|kill|abort/i.test(reason);
  const lines = [failed ? 'Task failed' : 'Task finished', '', ...contextLines(s)];
  if (reason && reason !== 'completed') lines.push(`Reason: ${reason}`);
  return { text: lines.join('\n'), keyboard: openSessionKeyboard(publicUrl, s.id) };
}
