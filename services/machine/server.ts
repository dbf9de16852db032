import type { ServiceRegistration } from '../../lib/grpc/server.js';
import type { EventSink } from '../../lib/events/publisher.js';
import type { Logger } from '../../lib/logger.js';
import { MachineDomain } from './domain.js';
import { MachineEvents } from './events.js';
import { machineHandlers } from './handlers.js';
import type { MachineStore } from './store.js';

/** Builds the machine service's registrations from its dependencies (no listening here). */
export function machineServices(deps: { store: MachineStore; events: EventSink; log: Logger; now?: () => number }): ServiceRegistration<any>[] {
  const domain = new MachineDomain(deps.store, new MachineEvents(deps.events, deps.log), deps.now);
  return [machineHandlers(domain)];
}
