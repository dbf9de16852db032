import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { isAppError } from '../../lib/errors.js';
import { sortSessionSummaries, toHapiSession, toHapiSessionSummary } from '../../lib/hapi/session-view.js';
import type { GatewayDeps } from '../deps.js';
import { requireWebPrincipal } from '../http/web-auth.js';
import { parseOr400 } from '../http/validate.js';
import { requireActive, requireWebSession, type RpcCall } from './api-sessions-guard.js';

type IdParams = { Params: { id: string } };

const ListQuery = z.object({ limit: z.coerce.number().int().optional() }).passthrough();
const RenameBody = z.object({ name: z.string().trim().min(1).max(255) });

/** `/api/sessions` listing, detail and lifecycle (reference §3.3). */
export function registerApiSessionRoutes(app: FastifyInstance, deps: GatewayDeps, rpc: RpcCall): void {
  app.get('/api/sessions', async (request) => {
    const principal = await requireWebPrincipal(request, deps);
    const q = parseOr400(ListQuery, request.query ?? {}, 'Invalid query');
    const limit = Math.min(500, Math.max(1, q.limit ?? 500));
    const ns = principal.namespace;
    const res = await deps.clients.session.call('listSessions', { namespace: ns }, { namespace: ns, requestId: request.id });
    const summaries = sortSessionSummaries(res.sessions.map(toHapiSessionSummary));
    return { sessions: summaries.slice(0, limit) };
  });

  app.get<IdParams>('/api/sessions/:id', async (request) => {
    const { session } = await requireWebSession(request, deps, request.params.id);
    return { session: toHapiSession(session) };
  });

  app.patch<IdParams>('/api/sessions/:id', async (request) => {
    const { ns, scope } = await requireWebSession(request, deps, request.params.id);
    const body = parseOr400(RenameBody, request.body);
    await deps.clients.session.call('renameSession', { namespace: ns, id: request.params.id, name: body.name }, scope);
    return { ok: true };
  });

  app.delete<IdParams>('/api/sessions/:id', async (request) => {
    const { ns, scope, session } = await requireWebSession(request, deps, request.params.id);
    // The service refuses an active session with 409 (HAPI: DELETE only while inactive).
    await deps.clients.session.call('deleteSession', { namespace: ns, id: session.id }, scope);
    return { ok: true };
  });

  app.post<IdParams>('/api/sessions/:id/abort', async (request) => {
    const { ns, session } = await requireWebSession(request, deps, request.params.id);
    requireActive(session);
    await rpc(ns, session.id, 'abort', { reason: 'User aborted via web app' });
    return { ok: true };
  });

  app.post<IdParams>('/api/sessions/:id/archive', async (request) => {
    const { ns, scope, session } = await requireWebSession(request, deps, request.params.id);
    if (session.active) {
      // Best effort: ask the CLI to stop; the archive happens either way.
      await rpc(ns, session.id, 'killSession', {}).catch((err: unknown) => {
        if (!isAppError(err)) throw err;
        request.log.info({ code: err.code }, 'killSession before archive failed');
      });
    }
    await deps.clients.session.call('archiveSession', { namespace: ns, id: session.id }, scope);
    return { ok: true };
  });
}
