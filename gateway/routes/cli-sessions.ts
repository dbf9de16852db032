import type { FastifyInstance } from 'fastify';
import { CliMessagesQuery, CliSessionBody } from '../hapi/schemas.js';
import { toHapiBackfillMessage, toHapiSession } from '../hapi/session-view.js';
import { toJsonText } from '../../lib/json.js';
import { AppError } from '../../lib/errors.js';
import type { GatewayDeps } from '../deps.js';
import { requireCliContext } from '../http/cli-auth.js';
import { orUndefined, parseOr400 } from '../http/validate.js';
import { registerMachineRequest } from './cli-machines.js';

const MAX_MESSAGES = 200;

/** `POST /cli/sessions` (get or create by tag), `GET /cli/sessions/:id`, `GET /cli/sessions/:id/messages`: the CLI's REST calls. */
export function registerCliSessionRoutes(app: FastifyInstance, deps: GatewayDeps): void {
  app.post('/cli/sessions', async (request) => {
    const ctx = await requireCliContext(request, deps);
    const body = parseOr400(CliSessionBody, request.body);
    // Lazy bootstrap: the embedded machine is registered first, so a foreign machine id
    // (403 Machine access denied) creates neither machine nor session.
    if (body.machine) await deps.clients.machine.call('registerMachine', registerMachineRequest(body.machine), ctx);
    const res = await deps.clients.session.call(
      'createOrLoadSession',
      {
        id: body.id,
        tag: body.tag,
        metadataJson: toJsonText(body.metadata),
        agentStateJson: toJsonText(body.agentState),
        model: orUndefined(body.model),
        modelReasoningEffort: orUndefined(body.modelReasoningEffort),
        effort: orUndefined(body.effort),
      },
      ctx,
    );
    if (!res.session) throw new AppError('internal', 'session service answered without a session');
    return { session: toHapiSession(res.session), sessionSummaryContract: false };
  });

  app.get<{ Params: { id: string } }>('/cli/sessions/:id', async (request) => {
    const ctx = await requireCliContext(request, deps);
    const res = await deps.clients.session.call('getSession', { id: request.params.id }, ctx);
    if (!res.session) throw new AppError('not_found', 'Session not found');
    return { session: toHapiSession(res.session), sessionSummaryContract: false };
  });

  app.get<{ Params: { id: string } }>('/cli/sessions/:id/messages', async (request) => {
    const ctx = await requireCliContext(request, deps);
    const query = CliMessagesQuery.safeParse(request.query);
    if (!query.success) {
      // As in HAPI, a foreign or unknown session's 403/404 wins over a bad query's 400.
      await deps.clients.session.call('getSession', { id: request.params.id }, ctx);
      throw new AppError('invalid_argument', 'Invalid query');
    }
    // What the CLI may be given now: messages held for a later time (or being steered) are not.
    const { afterSeq, limit } = query.data;
    const res = await deps.clients.session.call('listDeliverableMessages', { sessionId: request.params.id, afterSeq, limit: limit ?? MAX_MESSAGES, queuedOnly: false }, ctx);
    return { messages: res.messages.map((m) => toHapiBackfillMessage(m)) };
  });
}
