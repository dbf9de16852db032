import type { FastifyInstance } from 'fastify';
import { CliMachineBody } from '../hapi/schemas.js';
import { toHapiMachine } from '../hapi/machine-view.js';
import { toJsonText } from '../../lib/json.js';
import { AppError } from '../../lib/errors.js';
import type { BodyOf } from '../../lib/grpc/client.js';
import type { RegisterMachineRequest } from '../../lib/gen/teamhub/machine/v1/machine.js';
import type { GatewayDeps } from '../deps.js';
import { requireCliContext } from '../http/cli-auth.js';
import { parseOr400 } from '../http/validate.js';

/** The machine registration request for a parsed `/cli` machine body. */
export function registerMachineRequest(body: CliMachineBody): BodyOf<RegisterMachineRequest> {
  return {
    id: body.id,
    metadataJson: toJsonText(body.metadata),
    hasRunnerState: body.runnerState !== undefined,
    runnerStateJson: toJsonText(body.runnerState),
  };
}

/** `POST /cli/machines` (register, or refresh the registration), `GET /cli/machines/:id`: the runner's REST calls. */
export function registerCliMachineRoutes(app: FastifyInstance, deps: GatewayDeps): void {
  app.post('/cli/machines', async (request) => {
    const ctx = await requireCliContext(request, deps);
    const body = parseOr400(CliMachineBody, request.body);
    const res = await deps.clients.machine.call('registerMachine', registerMachineRequest(body), ctx);
    if (!res.machine) throw new AppError('internal', 'machine service answered without a machine');
    return { machine: toHapiMachine(res.machine) };
  });

  app.get<{ Params: { id: string } }>('/cli/machines/:id', async (request) => {
    const ctx = await requireCliContext(request, deps);
    const res = await deps.clients.machine.call('getMachine', { id: request.params.id }, ctx);
    if (!res.machine) throw new AppError('not_found', 'Machine not found');
    return { machine: toHapiMachine(res.machine) };
  });
}
