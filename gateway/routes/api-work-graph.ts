import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { GatewayDeps } from '../deps.js';
import { principalIsCaller, RESERVED_PROVENANCE, toHapiWorkEvent, toHapiWorkLink, toProtoWorkEvent, WORK_GRAPH_MAX_BODY_BYTES, WorkEventCreateBody, WorkLinkCreateBody } from '../hapi/work-graph.js';
import { routeBodyLimit } from '../http/route-body-limit.js';
import { requireWebCall } from '../http/web-auth.js';

type EventIdRequest = FastifyRequest<{ Params: { eventId: string } }>;

const invalidBody = (error: z.ZodError) => ({ error: 'Invalid body', issues: z.flattenError(error) });

/**
 * HAPI's work graph (always on in 0.30.7): events about work, related to sessions and linked to
 * each other, kept per namespace by the notify service. An event's principal must be the signed-in
 * user (or act on their behalf); another namespace's event ids are simply not found.
 */
export function registerWorkGraphRoutes(app: FastifyInstance, deps: GatewayDeps): void {
  const notify = deps.clients.notify;
  // HAPI's body limit for the work graph's writes, with its text.
  const writeOptions = routeBodyLimit(WORK_GRAPH_MAX_BODY_BYTES, deps.cfg.maxBodyBytes, 'Request body too large');

  app.post('/api/work-graph/events', writeOptions, async (request, reply) => {
    const { ctx, principal } = await requireWebCall(request, deps);
    const parsed = WorkEventCreateBody.safeParse(request.body);
    if (!parsed.success) return reply.code(400).send(invalidBody(parsed.error));
    if (!principalIsCaller(parsed.data.principal, principal.uid)) return reply.code(403).send({ error: 'Principal must resolve to the authenticated hub owner' });
    if (parsed.data.provenance === RESERVED_PROVENANCE) return reply.code(400).send({ error: 'Reserved provenance' });
    const res = await notify.call('recordWorkEvent', { event: toProtoWorkEvent(parsed.data) }, ctx);
    return reply.code(res.inserted ? 201 : 200).send({ event: toHapiWorkEvent(res.event!), inserted: res.inserted });
  });

  app.get('/api/work-graph/events', async (request, reply) => {
    const { ctx } = await requireWebCall(request, deps);
    const q = (request.query ?? {}) as Record<string, unknown>;
    const related = typeof q.related_session_id === 'string' ? q.related_session_id : '';
    if (!related) return reply.code(400).send({ error: 'related_session_id query parameter is required' });
    const limitRaw = typeof q.limit === 'string' && q.limit !== '' ? Number(q.limit) : undefined;
    if (limitRaw !== undefined && (!Number.isInteger(limitRaw) || limitRaw < 1)) return reply.code(400).send({ error: 'Invalid limit' });
    const res = await notify.call('listWorkEvents', { relatedSessionId: related, limit: Math.min(limitRaw ?? 0, 500) }, ctx);
    void reply.header('Cache-Control', 'no-store');
    return { events: res.events.map(toHapiWorkEvent) };
  });

  app.get('/api/work-graph/events/:eventId', async (request: EventIdRequest, reply) => {
    const { ctx } = await requireWebCall(request, deps);
    const res = await notify.call('getWorkEvent', { id: request.params.eventId }, ctx);
    void reply.header('Cache-Control', 'no-store');
    return { event: toHapiWorkEvent(res.event!) };
  });

  app.post('/api/work-graph/event-links', writeOptions, async (request, reply) => {
    const { ctx } = await requireWebCall(request, deps);
    const parsed = WorkLinkCreateBody.safeParse(request.body);
    if (!parsed.success) return reply.code(400).send(invalidBody(parsed.error));
    const b = parsed.data;
    const res = await notify.call(
      'linkWorkEvents',
      { fromEventId: b.from_event_id, toEventId: b.to_event_id, relationType: b.relation_type, metadataJson: b.metadata_json === undefined ? undefined : JSON.stringify(b.metadata_json) },
      ctx,
    );
    return reply.code(201).send({ link: toHapiWorkLink(res.link!) });
  });

  app.get('/api/work-graph/events/:eventId/links', async (request: EventIdRequest, reply) => {
    const { ctx } = await requireWebCall(request, deps);
    const res = await notify.call('listWorkEventLinks', { eventId: request.params.eventId }, ctx);
    void reply.header('Cache-Control', 'no-store');
    return { links: res.links.map(toHapiWorkLink) };
  });
}
