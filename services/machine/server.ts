import { service, type ServiceRegistration } from '../../lib/grpc/server.js';
import { MachineServiceService } from '../../lib/gen/teamhub/machine/v1/machine.js';
import { MachineOpsServiceService } from '../../lib/gen/teamhub/machine/v1/machine_ops.js';
import type { EventSink } from '../../lib/events/publisher.js';
import { MachineDomain, type MachineLimits } from './domain.js';
import { MachineEvents } from './events.js';
import { machineHandlers } from './handlers.js';
import type { MachineStore } from './store.js';
import { MachineOps, machineOpsHandlers } from './ops.js';

export const HEALTH_NAME = 'teamhub.machine.v1.MachineService';
export const REFLECTION_PROTOS = ['teamhub/machine/v1/machine.proto', 'teamhub/machine/v1/machine_ops.proto'];

export interface ServiceDeps {
  store: MachineStore;
  sink: EventSink;
  now?: () => number;
  limits?: MachineLimits;
}

/** The machine service's gRPC registrations from its dependencies (no listening here; see main.ts). */
export function buildServices(deps: ServiceDeps): ServiceRegistration<any>[] {
  const domain = new MachineDomain(deps.store, new MachineEvents(deps.sink), deps.now, deps.limits);
  return [service(MachineServiceService, machineHandlers(domain)), service(MachineOpsServiceService, machineOpsHandlers(new MachineOps(deps.store)))];
}
