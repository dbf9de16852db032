import { hubScoped, namespaced, type ServiceHandlers } from '../../lib/grpc/server.js';
import type { MachineServiceService } from '../../lib/gen/teamhub/machine/v1/machine.js';
import { CasResult } from '../../lib/gen/teamhub/common/v1/common.js';
import type { MachineDomain, DocUpdateResult } from './domain.js';
import { toProtoMachine } from './proto-map.js';

function docResponse(r: DocUpdateResult) {
  return {
    result: r.ok ? CasResult.CAS_RESULT_SUCCESS : CasResult.CAS_RESULT_VERSION_MISMATCH,
    version: r.version,
    json: r.json ?? undefined,
    machine: toProtoMachine(r.record),
  };
}

/** gRPC handlers: proto in, domain call with the call's context, proto out. No rules live here. */
export function machineHandlers(domain: MachineDomain): ServiceHandlers<typeof MachineServiceService> {
  return {
    registerMachine: namespaced(async (req, ctx) => {
      const { record, created } = await domain.register(ctx, {
        id: req.id,
        metadataJson: req.metadataJson,
        hasRunnerState: req.hasRunnerState,
        runnerStateJson: req.runnerStateJson,
      });
      return { machine: toProtoMachine(record), created };
    }),
    getMachine: namespaced(async (req, ctx) => ({ machine: toProtoMachine(await domain.get(ctx, req.id)) })),
    listMachines: namespaced(async (req, ctx) => ({ machines: (await domain.list(ctx, req.activeOnly)).map(toProtoMachine) })),
    updateMetadata: namespaced(async (req, ctx) => docResponse(await domain.updateDoc(ctx, req.id, 'metadata', req.expectedVersion, req.json))),
    updateRunnerState: namespaced(async (req, ctx) => docResponse(await domain.updateDoc(ctx, req.id, 'runnerState', req.expectedVersion, req.json))),
    setMachineActive: namespaced(async (req, ctx) => {
      const { record, changed } = await domain.setActive(ctx, req.id, req.active, req.at, req.healthJson);
      return { machine: toProtoMachine(record), changed };
    }),
    setDisplayName: namespaced(async (req, ctx) => ({ machine: toProtoMachine(await domain.setDisplayName(ctx, req.id, req.displayName)) })),
    announceAgyModelsChanged: namespaced(async (req, ctx) => {
      await domain.announceAgyModelsChanged(ctx, req.id);
      return {};
    }),
    adminListMachines: hubScoped(async (req, ctx) => ({ machines: (await domain.adminList(ctx, req.namespace)).map(toProtoMachine) })),
    adminForgetMachine: hubScoped(async (req, ctx) => ({ forgotten: await domain.adminForget(ctx, req.id) })),
    adminTransferMachine: hubScoped(async (req, ctx) => ({ machine: toProtoMachine(await domain.adminTransfer(ctx, req.id, req.toNamespace)) })),
  };
}
