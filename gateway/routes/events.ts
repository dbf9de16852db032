import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { AppError, httpStatusOf, isAppError } from '../../lib/errors.js';
import { requireWebCall } from '../http/web-auth.js';
import { parseOr400 } from '../http/validate.js';
import type { SseFilter } from '../live/sse/sse-hub.js';
import type { LiveRouteDeps } from './route-deps.js';

const EventsQuery = z.object({
  all: z.string().optional(),
  sessionId: z.string().optional(),
  machineId: z.string().optional(),
  visibility: z.string().optional(),
  lastEventId: z.string().optional(),
  token: z.string().optional(),
});

const VisibilityBody = z.object({ subscriptionId: z.string().min(1), visibility: z.enum(['visible', 'hidden']) });

/**
 * `GET /api/events`, the web's live stream (SSE: every event of the caller's namespace, or one
 * session's or machine's), and `POST /api/visibility`.
 */
export function registerEventRoutes(app: FastifyInstance, deps: LiveRouteDeps): void {
  const { sse } = deps.live;
  app.get('/api/events', async (request, reply) => {
    const { ctx, principal } = await requireWebCall(request, deps, { allowQueryToken: true });
    const ns = ctx.namespace;
    const q = parseOr400(EventsQuery.passthrough(), request.query ?? {}, 'Invalid query');
    let filter: SseFilter = { kind: 'all' };
    if (q.all === 'true' || q.all === '1') filter = { kind: 'all' };
    else if (q.sessionId) filter = { kind: 'session', id: q.sessionId };
    else if (q.machineId) filter = { kind: 'machine', id: q.machineId };
    // Pre-checks: the services answer HAPI's 403/404 texts for another namespace's or an unknown id.
    if (q.sessionId) await deps.clients.session.call('getSession', { id: q.sessionId }, ctx);
    if (q.machineId) await deps.clients.machine.call('getMachine', { id: q.machineId }, ctx);
    const header = request.headers['last-event-id'];
    const lastEventId = (typeof header === 'string' && header.length > 0 ? header : undefined) ?? q.lastEventId;
    reply.hijack();
    try {
      const credential = { kind: 'web-jwt' as const, namespace: ns, jti: principal.jti, expiresAt: principal.exp, issuedMs: principal.issuedMs };
      // As HAPI: a stream is hidden unless the page says it is visible.
      await sse.open(reply, { namespace: ns, credential, filter, lastEventId, visibility: q.visibility === 'visible' ? 'visible' : 'hidden' });
    } catch (err) {
      // A refusal (too many streams, a credential revoked while it opened) is the client's answer.
      const refused = isAppError(err, 'resource_exhausted') || isAppError(err, 'unauthenticated');
      if (!refused) ctx.log.warn({ err }, 'sse open failed');
      const [status, body] = refused ? [httpStatusOf(err as AppError), { error: (err as AppError).message }] : [503, { error: 'Not ready' }];
      if (!reply.raw.headersSent) reply.raw.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
      else reply.raw.end();
    }
  });

  // The stream may be open on another replica: the shared registry knows it, keyed by namespace,
  // so another namespace's subscription id is simply not found (HAPI's 404), never changed.
  app.post('/api/visibility', async (request, reply) => {
    const { ctx } = await requireWebCall(request, deps);
    const body = parseOr400(VisibilityBody, request.body);
    if (!(await deps.live.streams.setVisibility(ctx.namespace, body.subscriptionId, body.visibility === 'visible'))) {
      return reply.code(404).send({ error: 'Subscription not found' });
    }
    return { ok: true };
  });
}
