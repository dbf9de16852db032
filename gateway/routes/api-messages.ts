import type { FastifyInstance } from 'fastify';
import { AppError } from '../../lib/errors.js';
import { MessagesQuery, SendMessageBody } from '../hapi/message-schemas.js';
import { toHapiMessagesPage } from '../hapi/message-view.js';
import { requireWebCall } from '../http/web-auth.js';
import { invalidWithIssues } from '../http/validate.js';
import { requireActive, requireSessionAccess } from './api-sessions-guard.js';
import type { LiveRouteDeps } from './route-deps.js';

type IdParams = { Params: { id: string } };

const DEFAULT_PAGE = 50;
const pair = (seq: number | undefined, at: number | undefined) => (seq !== undefined && at !== undefined ? { seq, at } : undefined);

/** `GET|POST /api/sessions/:id/messages`: a page of HAPI's message cursor, and a user message from the web. */
export function registerApiMessageRoutes(app: FastifyInstance, deps: LiveRouteDeps): void {
  /**
   * One call to the session service, which answers HAPI's 403/404 itself; only a bad query looks
   * the session up first, so a foreign or unknown session's answer wins over a 400 as in HAPI.
   */
  app.get<IdParams>('/api/sessions/:id/messages', async (request) => {
    const { ctx } = await requireWebCall(request, deps);
    const q = MessagesQuery.safeParse(request.query ?? {});
    if (!q.success) {
      await requireSessionAccess(deps, ctx, request.params.id);
      throw invalidWithIssues(q.error, 'Invalid query');
    }
    const page = await deps.clients.session.call(
      'getMessagesPage',
      {
        sessionId: request.params.id,
        limit: q.data.limit ?? DEFAULT_PAGE,
        before: pair(q.data.beforeSeq, q.data.beforeAt),
        after: pair(q.data.afterSeq, q.data.afterAt),
        until: pair(q.data.untilSeq, q.data.untilAt),
        epoch: q.data.epoch,
      },
      ctx,
    );
    return toHapiMessagesPage(page);
  });

  /**
   * The web's message to the agent: one call to the session service, which answers HAPI's
   * 403/404/409 itself, applies the delivery rule and publishes the event the CLI socket's
   * `new-message` is rendered from (not before its time when scheduled). The body Fastify parsed
   * is serialised once here and never parsed again before the socket.
   */
  app.post<IdParams>('/api/sessions/:id/messages', async (request) => {
    const { ctx } = await requireWebCall(request, deps);
    const body = SendMessageBody.safeParse(request.body);
    const empty = body.success && !body.data.text && !body.data.attachments?.length;
    if (!body.success || empty) {
      // As in HAPI, a foreign, unknown or inactive session's answer wins over a bad body's 400.
      requireActive(await requireSessionAccess(deps, ctx, request.params.id));
      if (!body.success) throw invalidWithIssues(body.error);
      throw new AppError('invalid_argument', 'Message requires text or attachments');
    }
    const { text, localId, attachments, scheduledAt, deliveryMode } = body.data;
    const content: Record<string, unknown> = { type: 'text', text };
    if (attachments !== undefined) content.attachments = attachments;
    // meta.deliveryMode is the service's to decide (steer only for Pi); it is shown from the record.
    const message = { role: 'user', content, meta: { sentFrom: 'webapp' } };
    await deps.clients.session.call(
      'appendMessage',
      {
        sessionId: request.params.id,
        contentJson: JSON.stringify(message),
        localId,
        invoked: false,
        scheduledAt: scheduledAt ?? undefined,
        deliveryMode: deliveryMode ?? 'queue',
        requireActive: true,
      },
      ctx,
    );
    return { ok: true };
  });
}
