import type { FastifyInstance } from 'fastify';
import { CliMachineBody } from '../../lib/hapi/schemas.js';
import { toHapiMachine } from '../../lib/hapi/machine-view.js';
import { toJsonText } from '../../lib/json.js';
import { AppError } from '../../lib/errors.js';
import type { Namespace } from '../../lib/namespace.js';
import type { RegisterMachineRequest } from '../../lib/gen/teamhub/machine/v1/machine.js';
import type { GatewayDeps } from '../deps.js';
import { requireCliNamespace } from '../http/cli-auth.js';
import { parseOr400 } from '../http/validate.js';

/** The machine registration request for a parsed `/cli` machine body. */
export function registerMachineRequest(ns: Namespace, body: CliMachineBody): RegisterMachineRequest {
  return {
    namespace: ns,
    id: body.id,
    metadataJson: toJsonText(body.metadata),
    hasRunnerState: body.runnerState !== undefined,
    runnerStateJson: toJsonText(body.runnerState),
  };
}

/** `POST /cli/machines`, `GET /cli/machines/:id` (reference §3.1; transcripts B, C). */
export function registerCliMachineRoutes(app: FastifyInstance, deps: GatewayDeps): void {
  app.post('/cli/machines', async (request) => {
    const ns = await requireCliNamespace(request, deps);
    const body = parseOr400(CliMachineBody, request.body);
    const res = await deps.clients.machine.call('registerMachine', registerMachineRequest(ns, body), { namespace: ns, requestId: request.id });
    if (!res.machine) throw new AppError('internal', 'machine service answered without a machine');
    return { machine: toHapiMachine(res.machine) };
  });

  app.get<{ Params: { id: string } }>('/cli/machines/:id', async (request) => {
    const ns = await requireCliNamespace(request, deps);
    const res = await deps.clients.machine.call('getMachine', { namespace: ns, id: request.params.id }, { namespace: ns, requestId: request.id });
    if (!res.machine) throw new AppError('not_found', 'Machine not found');
    return { machine: toHapiMachine(res.machine) };
  });
}
