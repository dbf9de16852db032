import type { FastifyInstance } from 'fastify';
import { CliMessagesQuery, CliSessionBody } from '../../lib/hapi/schemas.js';
import { toHapiCliMessage, toHapiSession } from '../../lib/hapi/session-view.js';
import { toJsonText } from '../../lib/json.js';
import { AppError } from '../../lib/errors.js';
import type { GatewayDeps } from '../deps.js';
import { requireCliNamespace } from '../http/cli-auth.js';
import { orUndefined, parseOr400 } from '../http/validate.js';
import { registerMachineRequest } from './cli-machines.js';

const MAX_MESSAGES = 200;

/** `POST /cli/sessions`, `GET /cli/sessions/:id`, `GET /cli/sessions/:id/messages` (reference §3.1, §2.7; transcript D). */
export function registerCliSessionRoutes(app: FastifyInstance, deps: GatewayDeps): void {
  app.post('/cli/sessions', async (request) => {
    const ns = await requireCliNamespace(request, deps);
    const body = parseOr400(CliSessionBody, request.body);
    const scope = { namespace: ns, requestId: request.id };
    // Lazy bootstrap: the embedded machine is registered first, so a foreign machine id
    // (403 Machine access denied) creates neither machine nor session.
    if (body.machine) await deps.clients.machine.call('registerMachine', registerMachineRequest(ns, body.machine), scope);
    const res = await deps.clients.session.call(
      'createOrLoadSession',
      {
        namespace: ns,
        id: body.id,
        tag: body.tag,
        metadataJson: toJsonText(body.metadata),
        agentStateJson: toJsonText(body.agentState),
        model: orUndefined(body.model),
        modelReasoningEffort: orUndefined(body.modelReasoningEffort),
        effort: orUndefined(body.effort),
      },
      scope,
    );
    if (!res.session) throw new AppError('internal', 'session service answered without a session');
    return { session: toHapiSession(res.session), sessionSummaryContract: false };
  });

  app.get<{ Params: { id: string } }>('/cli/sessions/:id', async (request) => {
    const ns = await requireCliNamespace(request, deps);
    const res = await deps.clients.session.call('getSession', { namespace: ns, id: request.params.id }, { namespace: ns, requestId: request.id });
    if (!res.session) throw new AppError('not_found', 'Session not found');
    return { session: toHapiSession(res.session), sessionSummaryContract: false };
  });

  app.get<{ Params: { id: string } }>('/cli/sessions/:id/messages', async (request) => {
    const ns = await requireCliNamespace(request, deps);
    const query = parseOr400(CliMessagesQuery, request.query, 'Invalid query');
    const res = await deps.clients.session.call(
      'listMessages',
      { namespace: ns, sessionId: request.params.id, afterSeq: query.afterSeq ?? 0, limit: query.limit ?? MAX_MESSAGES },
      { namespace: ns, requestId: request.id },
    );
    return { messages: res.messages.map(toHapiCliMessage) };
  });
}
