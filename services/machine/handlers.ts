import { hubScoped, namespaced, service, type ServiceRegistration } from '../../lib/grpc/server.js';
import { MachineServiceService } from '../../lib/gen/teamhub/machine/v1/machine.js';
import { CasResult } from '../../lib/gen/teamhub/common/v1/common.js';
import { isNamespace } from '../../lib/namespace.js';
import { AppError } from '../../lib/errors.js';
import type { MachineDomain, DocUpdateResult } from './domain.js';
import { toProtoMachine } from './machine-proto.js';

function docResponse(r: DocUpdateResult) {
  return {
    result: r.ok ? CasResult.CAS_RESULT_SUCCESS : CasResult.CAS_RESULT_VERSION_MISMATCH,
    version: r.version,
    json: r.json ?? undefined,
    machine: toProtoMachine(r.record),
  };
}

/** gRPC handlers: translate wire messages to domain calls; no logic of their own. */
export function machineHandlers(domain: MachineDomain): ServiceRegistration<typeof MachineServiceService> {
  return service(MachineServiceService, {
    registerMachine: namespaced(async (req, ctx) => {
      const { record, created } = await domain.register(ctx.namespace, {
        id: req.id,
        metadataJson: req.metadataJson,
        hasRunnerState: req.hasRunnerState,
        runnerStateJson: req.runnerStateJson,
      });
      return { machine: toProtoMachine(record), created };
    }),
    getMachine: namespaced(async (req, ctx) => ({ machine: toProtoMachine(await domain.get(ctx.namespace, req.id)) })),
    listMachines: namespaced(async (req, ctx) => ({
      machines: (await domain.list(ctx.namespace, req.activeOnly)).map(toProtoMachine),
    })),
    updateMetadata: namespaced(async (req, ctx) =>
      docResponse(await domain.updateDoc(ctx.namespace, req.id, 'metadata', req.expectedVersion, req.json)),
    ),
    updateRunnerState: namespaced(async (req, ctx) =>
      docResponse(await domain.updateDoc(ctx.namespace, req.id, 'runnerState', req.expectedVersion, req.json)),
    ),
    setMachineActive: namespaced(async (req, ctx) => {
      const { record, changed } = await domain.setActive(ctx.namespace, req.id, req.active, req.at, req.healthJson);
      return { machine: toProtoMachine(record), changed };
    }),
    setDisplayName: namespaced(async (req, ctx) => ({
      machine: toProtoMachine(await domain.setDisplayName(ctx.namespace, req.id, req.displayName)),
    })),
    adminListMachines: hubScoped(async (req) => {
      if (req.namespace !== undefined && !isNamespace(req.namespace)) throw new AppError('invalid_argument', 'namespace is not valid');
      return { machines: (await domain.adminList(req.namespace ?? null)).map(toProtoMachine) };
    }),
    adminForgetMachine: hubScoped(async (req) => ({ forgotten: await domain.adminForget(req.id) })),
    adminTransferMachine: hubScoped(async (req) => ({
      machine: toProtoMachine(await domain.adminTransfer(req.id, req.toNamespace)),
    })),
  });
}
