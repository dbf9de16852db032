import { AppError } from '../../../lib/errors.js';
import { hubContext, namespaceContext, newRequestId, type CallContext } from '../../../lib/context.js';
import type { Logger } from '../../../lib/logger.js';
import type { BotApi, TgCallbackQuery, TgMessage, TgUpdate } from './bot-api.js';
import { parseCallbackData, uniqueByPrefix } from './callback-data.js';
import type { Directory } from '../directory.js';
import { pendingRequests } from '../session-view.js';
import { openAppKeyboard, TEXTS } from './views.js';

export interface UpdateDeps {
  api: BotApi;
  publicUrl: string;
  directory: Pick<Directory, 'namespaceOf' | 'listSessions'>;
  /** Calls the session's `permission` RPC (on the CLI socket) in the context's namespace. */
  permission: (ctx: CallContext, sessionId: string, params: { id: string; approved: boolean }) => Promise<unknown>;
  log: Logger;
}

/** `/start`, `/start@bot payload` → 'start'. */
function commandOf(text: string | undefined): string | null {
  const m = /^\/([a-z]+)(?:@\w+)?(?:\s|$)/i.exec(text ?? '');
  return m ? m[1]!.toLowerCase() : null;
}

async function onMessage(d: UpdateDeps, msg: TgMessage): Promise<void> {
  const cmd = commandOf(msg.text);
  if (cmd === 'start') await d.api.sendMessage(msg.chat.id, TEXTS.start, openAppKeyboard(d.publicUrl));
  else if (cmd === 'app') await d.api.sendMessage(msg.chat.id, TEXTS.app, openAppKeyboard(d.publicUrl));
}

/** The answer text for a tapped button; performs the approve/deny when everything checks out. */
async function resolveCallback(d: UpdateDeps, q: TgCallbackQuery, requestId: string): Promise<{ answer: string; edited?: string }> {
  const ns = await d.directory.namespaceOf(hubContext(d.log, requestId), q.from.id);
  if (ns === null) return { answer: TEXTS.notBound };
  const parsed = parseCallbackData(q.data);
  if (!parsed) return { answer: TEXTS.unknown };
  const ctx = namespaceContext(d.log, ns, requestId);
  // Only the clicker's own namespace is searched: a prefix from another namespace finds nothing.
  const sessions = await d.directory.listSessions(ctx);
  const sessionId = uniqueByPrefix(
    sessions.map((s) => s.id),
    parsed.sessionPrefix,
  );
  const session = sessions.find((s) => s.id === sessionId);
  if (!session) return { answer: TEXTS.sessionNotFound };
  if (!session.active) return { answer: TEXTS.sessionInactive };
  const permissionId = uniqueByPrefix(
    pendingRequests(session).map((r) => r.id),
    parsed.requestPrefix,
  );
  if (permissionId === null) return { answer: TEXTS.requestMissing };
  const approved = parsed.action === 'ap';
  try {
    await d.permission(ctx, session.id, { id: permissionId, approved });
  } catch (err) {
    ctx.log.warn({ err: err instanceof AppError ? { code: err.code, details: err.details } : err, sessionId: session.id }, 'telegram permission RPC failed');
    return { answer: TEXTS.failed };
  }
  ctx.log.info({ sessionId: session.id, permissionId, approved }, 'telegram permission answered');
  const verdict = approved ? TEXTS.approved : TEXTS.denied;
  return { answer: verdict, edited: q.message?.text ? `${q.message.text}\n\n${verdict}` : verdict };
}

async function onCallback(d: UpdateDeps, q: TgCallbackQuery): Promise<void> {
  let result: { answer: string; edited?: string };
  const requestId = newRequestId();
  try {
    result = await resolveCallback(d, q, requestId);
  } catch (err) {
    d.log.warn({ err, reqId: requestId }, 'telegram callback failed');
    result = { answer: TEXTS.failed };
  }
  await d.api.answerCallbackQuery(q.id, result.answer);
  if (result.edited !== undefined && q.message) {
    await d.api.editMessageText(q.message.chat.id, q.message.message_id, result.edited, { inline_keyboard: [] });
  }
}

/** Handles one update from getUpdates. The bot only answers commands and its own buttons. */
export function updateHandler(d: UpdateDeps): (u: TgUpdate) => Promise<void> {
  return async (u) => {
    if (u.callback_query) await onCallback(d, u.callback_query);
    else if (u.message) await onMessage(d, u.message);
  };
}
