import { AppError } from '../../lib/errors.js';
import type { HubCallContext } from '../../lib/context.js';
import { hubScoped, type ServiceHandlers } from '../../lib/grpc/server.js';
import type { Machine } from '../../lib/gen/teamhub/machine/v1/machine.js';
import type { MachineOpsServiceService, NamespaceMachines } from '../../lib/gen/teamhub/machine/v1/machine_ops.js';
import type { MachineStore } from './store.js';

const MAX_ID_LENGTH = 256;

/**
 * Hub operations of the machine service: per-namespace counts (how many machines, how many
 * online; never their names or details) and the import of another hub's machines with their
 * ids kept, so a machine id stays locked to the namespace it had there.
 */
export class MachineOps {
  constructor(private readonly store: MachineStore) {}

  async namespaceMachines(_ctx: HubCallContext): Promise<NamespaceMachines[]> {
    const byNs = new Map<string, NamespaceMachines>();
    for (const m of await this.store.adminList(null)) {
      let rec = byNs.get(m.namespace);
      if (!rec) byNs.set(m.namespace, (rec = { namespace: m.namespace, machines: 0, online: 0, lastActivityAt: 0 }));
      rec.machines += 1;
      if (m.active) rec.online += 1;
      rec.lastActivityAt = Math.max(rec.lastActivityAt, m.updatedAt, m.activeAt);
    }
    return [...byNs.values()];
  }

  async importMachine(ctx: HubCallContext, m: Machine | undefined): Promise<boolean> {
    const ns = ctx.namespace;
    if (ns === undefined) throw new AppError('invalid_argument', 'an import names its namespace in the call metadata');
    if (!m) throw new AppError('invalid_argument', 'machine is required');
    if (m.id.length === 0 || m.id.length > MAX_ID_LENGTH) throw new AppError('invalid_argument', `machine id must be 1..${MAX_ID_LENGTH} characters`);
    const owner = await this.store.ownerOf(m.id);
    if (owner !== null && owner !== ns) throw new AppError('already_exists', 'Machine id belongs to another namespace');
    if (owner === ns) return false;
    const created = await this.store.insert(ns, {
      id: m.id,
      namespace: ns,
      seq: m.seq,
      createdAt: m.createdAt,
      updatedAt: m.updatedAt,
      // Offline until its runner connects here.
      active: false,
      activeAt: m.activeAt,
      metadataJson: m.metadataJson ?? null,
      metadataVersion: m.metadataVersion,
      runnerStateJson: m.runnerStateJson ?? null,
      runnerStateVersion: m.runnerStateVersion,
      healthJson: null,
    });
    if (created) ctx.log.info({ machineId: m.id }, 'machine imported');
    return created;
  }
}

/** gRPC handlers of MachineOpsService: hub-scoped only (the admin, through the gateway). */
export function machineOpsHandlers(ops: MachineOps): ServiceHandlers<typeof MachineOpsServiceService> {
  return {
    namespaceMachines: hubScoped(async (_req, ctx) => ({ namespaces: await ops.namespaceMachines(ctx) })),
    importMachine: hubScoped(async (req, ctx) => ({ created: await ops.importMachine(ctx, req.machine) })),
  };
}
