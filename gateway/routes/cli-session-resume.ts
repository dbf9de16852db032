import type { FastifyInstance } from 'fastify';
import { AppError, isAppError } from '../../lib/errors.js';
import type { CallContext } from '../../lib/context.js';
import type { Session } from '../../lib/gen/teamhub/session/v1/session.js';
import { firstUserMessageText, resumeTarget, toResumableRow } from '../hapi/resume-target.js';
import { requireCliContext } from '../http/cli-auth.js';
import type { GatewayDeps } from '../deps.js';
import { requireSessionAccess } from './api-sessions-guard.js';
import type { LiveRouteDeps } from './route-deps.js';
import { controlledByUser, isShared } from './session-metadata.js';
import { callSession, rpcFailureText } from './session-rpc.js';
import { waitForActive } from './session-waits.js';

type IdParams = { Params: { id: string } };

/** Newest sessions looked at for `hapi resume`'s list (its picker shows the recent ones). */
export const RESUMABLE_SCAN = 500;
/** Rows whose label needs the first user message, read from their first messages (a bounded cost). */
const LABEL_LOOKUPS = 50;
const FIRST_MESSAGES = 50;

/**
 * The session `id` for a CLI route that answers HAPI's coded bodies: 403 `{error, code:
 * "access_denied"}`, 404 `{error:"Session not found", code:"session_not_found"}`. `deniedText` is
 * the 403 text (HAPI's clear callbacks say "Session not found" there too).
 */
export async function requireCodedSession(deps: Pick<GatewayDeps, 'clients'>, ctx: CallContext, id: string, deniedText = 'Session access denied'): Promise<Session> {
  try {
    return await requireSessionAccess(deps, ctx, id);
  } catch (err) {
    if (isAppError(err, 'permission_denied')) throw new AppError('permission_denied', deniedText, { details: { hapiCode: 'access_denied' } });
    if (isAppError(err, 'not_found')) throw new AppError('not_found', 'Session not found', { details: { hapiCode: 'session_not_found' } });
    throw err;
  }
}

async function firstUserMessage(deps: GatewayDeps, ctx: CallContext, sessionId: string): Promise<string | undefined> {
  const res = await deps.clients.session.call('listMessages', { sessionId, afterSeq: 0, limit: FIRST_MESSAGES }, ctx);
  return firstUserMessageText(res.messages);
}

/**
 * What the real `hapi resume` asks the hub for: the resumable sessions of this machine, one
 * session's resume target, and the handoff of a remote session to the local terminal (RPC
 * `handoff-local`, then the hub waits for the remote CLI to end, as HAPI does).
 */
export function registerCliSessionResumeRoutes(app: FastifyInstance, deps: LiveRouteDeps): void {
  app.get<{ Querystring: { machineId?: string } }>('/cli/sessions/resumable', async (request) => {
    const ctx = await requireCliContext(request, deps);
    const machineId = typeof request.query?.machineId === 'string' && request.query.machineId.length > 0 ? request.query.machineId : undefined;
    const res = await deps.clients.session.call('listSessions', { limit: RESUMABLE_SCAN }, ctx);
    const rows: { session: Session; target: Record<string, unknown> }[] = [];
    for (const s of res.sessions) {
      const t = resumeTarget(s);
      if (t.type === 'success' && (!machineId || t.target.machineId === machineId)) rows.push({ session: s, target: t.target });
    }
    let lookups = 0;
    const sessions = [];
    for (const { session, target } of rows) {
      // Only rows with neither a name nor a summary are labelled by their first message.
      const needsLabel = resumeLabelMissing(session) && lookups++ < LABEL_LOOKUPS;
      sessions.push(toResumableRow(session, target, needsLabel ? await firstUserMessage(deps, ctx, session.id) : undefined));
    }
    return { sessions };
  });

  app.get<IdParams>('/cli/sessions/:id/resume-target', async (request) => {
    const ctx = await requireCliContext(request, deps);
    const s = await requireCodedSession(deps, ctx, request.params.id);
    const t = resumeTarget(s);
    if (t.type === 'error') throw new AppError('failed_precondition', t.message, { details: { hapiCode: t.code } });
    return { target: t.target };
  });

  app.post<IdParams>('/cli/sessions/:id/handoff-local', async (request, reply) => {
    const ctx = await requireCliContext(request, deps);
    const s = await requireCodedSession(deps, ctx, request.params.id);
    if (isShared(s)) throw new AppError('failed_precondition', 'Shared sessions attach without handoff', { details: { hapiCode: 'control_mode_not_applicable' } });
    if (!s.active) return { ok: true };
    if (controlledByUser(s)) throw new AppError('failed_precondition', 'Session is already controlled by a local terminal', { details: { hapiCode: 'already_local' } });
    try {
      await callSession(deps.live, ctx, s.id, 'handoff-local', {});
    } catch (err) {
      return reply.code(500).send({ error: rpcFailureText(err, s.id, 'handoff-local'), code: 'handoff_failed' });
    }
    const ended = await waitForActive(deps, ctx, s.id, false, deps.cfg.sessionTransitionWaitMs);
    if (!ended) return reply.code(500).send({ error: 'Timed out waiting for remote session to hand off', code: 'handoff_failed' });
    ctx.log.info({ sessionId: s.id }, 'session handed off to a local terminal');
    return { ok: true };
  });
}

function resumeLabelMissing(s: Session): boolean {
  const row = toResumableRow(s, {}, undefined);
  return row.name === undefined && row.summary === undefined;
}
