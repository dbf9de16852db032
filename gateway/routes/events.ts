import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { GatewayDeps } from '../deps.js';
import { requireWebPrincipal } from '../http/web-auth.js';
import { parseOr400 } from '../http/validate.js';
import type { SseFilter, SseHub } from '../live/sse/sse-hub.js';

const EventsQuery = z.object({
  all: z.string().optional(),
  sessionId: z.string().optional(),
  machineId: z.string().optional(),
  visibility: z.string().optional(),
  lastEventId: z.string().optional(),
  token: z.string().optional(),
});

const VisibilityBody = z.object({ subscriptionId: z.string().min(1).max(100), visibility: z.enum(['visible', 'hidden']) });

/** `GET /api/events` (SSE, reference §3.4, transcript H) and `POST /api/visibility`. */
export function registerEventRoutes(app: FastifyInstance, deps: GatewayDeps, sse: SseHub): void {
  app.get('/api/events', async (request, reply) => {
    const principal = await requireWebPrincipal(request, deps, { allowQueryToken: true });
    const ns = principal.namespace;
    const q = parseOr400(EventsQuery.passthrough(), request.query ?? {}, 'Invalid query');
    const scope = { namespace: ns, requestId: request.id };
    let filter: SseFilter = { kind: 'all' };
    if (q.all === 'true' || q.all === '1') filter = { kind: 'all' };
    else if (q.sessionId) filter = { kind: 'session', id: q.sessionId };
    else if (q.machineId) filter = { kind: 'machine', id: q.machineId };
    // Pre-checks: the services answer HAPI's 403/404 texts for another namespace's or an unknown id.
    if (q.sessionId) await deps.clients.session.call('getSession', { namespace: ns, id: q.sessionId }, scope);
    if (q.machineId) await deps.clients.machine.call('getMachine', { namespace: ns, id: q.machineId }, scope);
    const header = request.headers['last-event-id'];
    const lastEventId = (typeof header === 'string' && header.length > 0 ? header : undefined) ?? q.lastEventId;
    reply.hijack();
    try {
      await sse.open(reply, { namespace: ns, filter, lastEventId, visibility: q.visibility === 'hidden' ? 'hidden' : 'visible' });
    } catch (err) {
      request.log.warn({ err }, 'sse open failed');
      if (!reply.raw.headersSent) reply.raw.writeHead(503, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: 'Not ready' }));
      else reply.raw.end();
    }
  });

  app.post('/api/visibility', async (request) => {
    const principal = await requireWebPrincipal(request, deps);
    const body = parseOr400(VisibilityBody, request.body);
    sse.setVisibility(principal.namespace, body.subscriptionId, body.visibility);
    return { ok: true };
  });
}
