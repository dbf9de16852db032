import type { FastifyInstance } from 'fastify';
import { QueuedStateBody } from '../hapi/message-schemas.js';
import { toHapiQueuedState } from '../hapi/message-view.js';
import { requireWebCall } from '../http/web-auth.js';
import { invalidWithIssues } from '../http/validate.js';
import { requireActive, requireSessionAccess, requireWebSession } from './api-sessions-guard.js';
import { QueuedMessageActions } from './queued-message-actions.js';
import type { LiveRouteDeps } from './route-deps.js';

type MessageParams = { Params: { id: string; messageId: string } };

/**
 * The queue of a session's messages from the web: cancel (`DELETE …/messages/:messageId`), steer
 * into the running turn, retry one of unknown delivery, and which local ids are still queued.
 * Every answer is 200 with HAPI's `status`; only the session's access (403/404, and 409 for a
 * steer while inactive) and a bad body are HTTP errors.
 */
export function registerApiMessageQueueRoutes(app: FastifyInstance, deps: LiveRouteDeps): void {
  // Retries under way on this replica, so a double click does not send the CLI the message twice.
  const retries = new Set<string>();

  app.delete<MessageParams>('/api/sessions/:id/messages/:messageId', async (request) => {
    const { ctx, session } = await requireWebSession(request, deps, request.params.id);
    return new QueuedMessageActions(deps, ctx, session).cancel(request.params.messageId);
  });

  app.post<MessageParams>('/api/sessions/:id/messages/:messageId/steer', async (request) => {
    const { ctx, session } = await requireWebSession(request, deps, request.params.id);
    requireActive(session);
    return new QueuedMessageActions(deps, ctx, session).steer(request.params.messageId);
  });

  app.post<MessageParams>('/api/sessions/:id/messages/:messageId/retry', async (request) => {
    const { ctx, session } = await requireWebSession(request, deps, request.params.id);
    return new QueuedMessageActions(deps, ctx, session).retry(request.params.messageId, retries);
  });

  /** One call to the session service (it answers 403/404 itself); a bad body looks the session up first. */
  app.post<{ Params: { id: string } }>('/api/sessions/:id/messages/queued-state', async (request) => {
    const { ctx } = await requireWebCall(request, deps);
    const parsed = QueuedStateBody.safeParse(request.body);
    if (!parsed.success) {
      await requireSessionAccess(deps, ctx, request.params.id);
      throw invalidWithIssues(parsed.error);
    }
    const localIds = [...new Set(parsed.data.localIds)];
    if (localIds.length === 0) {
      await requireSessionAccess(deps, ctx, request.params.id);
      return { queuedLocalIds: [], indeterminateLocalIds: [], invokedLocalMessages: [] };
    }
    return toHapiQueuedState(await deps.clients.session.call('getQueuedState', { sessionId: request.params.id, localIds }, ctx));
  });
}
