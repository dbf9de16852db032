import type { FastifyInstance } from 'fastify';
import { AppError } from '../../lib/errors.js';
import { SessionOrder } from '../../lib/gen/teamhub/session/v1/session.js';
import { RenameBody } from '../hapi/session-rules.js';
import { sortSessionSummaries, toHapiSession, toHapiSessionSummary } from '../hapi/session-view.js';
import { jsonBodyOrNull, withLenientJson } from '../http/lenient-json.js';
import { requireWebCall } from '../http/web-auth.js';
import { requireActive, requireSessionAccess, requireWebSession } from './api-sessions-guard.js';
import { isRpcTargetMissing } from './machine-spawn.js';
import type { LiveRouteDeps } from './route-deps.js';
import { metadataOf, updateMetadataWith } from './session-metadata.js';
import { callSession } from './session-rpc.js';

type IdParams = { Params: { id: string } };

/** Most sessions `GET /api/sessions` answers (HAPI's `limit` caps at 500 too; without one HAPI lists all). */
export const MAX_SESSION_LIST = 500;

/** HAPI's `limit`: a finite number clamped to 1..500 (anything else: no limit, here the cap). */
function listLimit(raw: unknown): number {
  const n = typeof raw === 'string' && raw.length > 0 ? Number(raw) : NaN;
  return Number.isFinite(n) ? Math.min(MAX_SESSION_LIST, Math.max(1, Math.floor(n))) : MAX_SESSION_LIST;
}

/** `/api/sessions`: the namespace's list, one session, rename, delete, abort and archive. */
export function registerApiSessionRoutes(app: FastifyInstance, deps: LiveRouteDeps): void {
  /**
   * The store orders and cuts the page (no whole-namespace load per request). HAPI counts pending
   * requests only for active sessions; the store counts them for every session, so among inactive
   * sessions one with stale requests may be picked for a full page first. The page itself is
   * then put in HAPI's exact order.
   */
  app.get<{ Querystring: { limit?: string; order?: string } }>('/api/sessions', async (request) => {
    const { ctx } = await requireWebCall(request, deps);
    const q = request.query ?? {};
    const byUpdate = q.order === 'updatedAt';
    const order = byUpdate ? SessionOrder.SESSION_ORDER_UNSPECIFIED : SessionOrder.SESSION_ORDER_LIST;
    const res = await deps.clients.session.call('listSessions', { limit: listLimit(q.limit), order }, ctx);
    const scheduled = new Map(res.scheduled.map((x) => [x.sessionId, x]));
    const summaries = res.sessions.map((s) => toHapiSessionSummary(s, scheduled.get(s.id)));
    return { sessions: byUpdate ? summaries : sortSessionSummaries(summaries) };
  });

  app.get<IdParams>('/api/sessions/:id', async (request) => {
    const { session } = await requireWebSession(request, deps, request.params.id);
    return { session: toHapiSession(session) };
  });

  withLenientJson(app, (scoped) => {
    scoped.patch<IdParams>('/api/sessions/:id', async (request) => {
      const { ctx } = await requireWebCall(request, deps);
      const body = RenameBody.safeParse(jsonBodyOrNull(request));
      // One call: the rename answers 403/404 itself. A bad body is checked against the session
      // first, so 403/404 win over HAPI's 400.
      if (!body.success) {
        await requireSessionAccess(deps, ctx, request.params.id);
        throw new AppError('invalid_argument', 'Invalid body: name is required');
      }
      await deps.clients.session.call('renameSession', { id: request.params.id, name: body.data.name }, ctx);
      return { ok: true };
    });
  });

  app.delete<IdParams>('/api/sessions/:id', async (request) => {
    const { ctx } = await requireWebCall(request, deps);
    // One call: the service answers 403/404, and HAPI's 409 for an active session.
    await deps.clients.session.call('deleteSession', { id: request.params.id }, ctx);
    return { ok: true };
  });

  app.post<IdParams>('/api/sessions/:id/abort', async (request) => {
    const { ctx, session } = await requireWebSession(request, deps, request.params.id);
    requireActive(session);
    await callSession(deps.live, ctx, session.id, 'abort', { reason: 'User aborted via web app' });
    return { ok: true };
  });

  /**
   * HAPI's archive: an inactive session already archived answers `alreadyArchived`; an inactive one
   * that is not running is refused. Otherwise the CLI is told to stop (`killSession`; it archives
   * its own metadata), or, when no CLI holds the session, the hub marks it archived itself; then
   * the session ends.
   */
  app.post<IdParams>('/api/sessions/:id/archive', async (request, reply) => {
    const { ctx, session } = await requireWebSession(request, deps, request.params.id);
    const lifecycle = metadataOf(session)?.lifecycleState;
    if (!session.active && lifecycle === 'archived') return { ok: true, alreadyArchived: true };
    if (!session.active && lifecycle !== 'running') return reply.code(409).send({ error: 'Session is inactive' });
    try {
      await callSession(deps.live, ctx, session.id, 'killSession', {});
    } catch (err) {
      if (!isRpcTargetMissing(err)) throw err;
      await updateMetadataWith(deps, ctx, session.id, (md) =>
        !md || md.lifecycleState === 'archived'
          ? null
          : { ...md, lifecycleState: 'archived', lifecycleStateSince: Date.now(), archivedBy: 'hub', archiveReason: 'Archived from hub (CLI unreachable)' },
      );
    }
    await deps.clients.session.call('archiveSession', { id: session.id }, ctx);
    ctx.log.info({ sessionId: session.id }, 'session archived from the web');
    return { ok: true };
  });
}

