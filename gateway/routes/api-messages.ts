import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { toHapiMessage } from '../../lib/hapi/session-view.js';
import type { GatewayDeps } from '../deps.js';
import { parseOr400 } from '../http/validate.js';
import { requireWebSession } from './api-sessions-guard.js';

type IdParams = { Params: { id: string } };

const MAX_PAGE = 200;
const DEFAULT_PAGE = 50;

const PageQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(MAX_PAGE).optional(),
    beforeSeq: z.coerce.number().int().min(1).optional(),
  })
  .passthrough();

const SendBody = z.object({
  text: z.string().min(1),
  localId: z.string().min(1).max(256).optional(),
  attachments: z.array(z.unknown()).optional(),
});

/** `GET|POST /api/sessions/:id/messages` (reference §3.3, §3.7 B). */
export function registerApiMessageRoutes(app: FastifyInstance, deps: GatewayDeps): void {
  app.get<IdParams>('/api/sessions/:id/messages', async (request) => {
    const { ns, scope, session } = await requireWebSession(request, deps, request.params.id);
    const q = parseOr400(PageQuery, request.query ?? {}, 'Invalid query');
    const limit = q.limit ?? DEFAULT_PAGE;
    const res = await deps.clients.session.call('listMessages', { namespace: ns, sessionId: session.id, beforeSeq: q.beforeSeq, limit }, scope);
    const first = res.messages[0];
    return {
      messages: res.messages.map(toHapiMessage),
      page: { limit, beforeSeq: q.beforeSeq ?? null, nextBeforeSeq: res.hasMore && first ? first.seq : null, hasMore: res.hasMore },
    };
  });

  app.post<IdParams>('/api/sessions/:id/messages', async (request) => {
    const { ns, scope, session } = await requireWebSession(request, deps, request.params.id);
    const body = parseOr400(SendBody, request.body);
    const content: Record<string, unknown> = { type: 'text', text: body.text };
    if (body.attachments !== undefined) content.attachments = body.attachments;
    const message = { role: 'user', content, meta: { sentFrom: 'webapp' } };
    // Stored queued (not invoked); the session service's event carries the CLI `new-message`.
    await deps.clients.session.call(
      'appendMessage',
      { namespace: ns, sessionId: session.id, contentJson: JSON.stringify(message), localId: body.localId, invoked: false },
      scope,
    );
    return { ok: true };
  });
}
