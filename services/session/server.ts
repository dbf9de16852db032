import { service, type ServiceRegistration } from '../../lib/grpc/server.js';
import { SessionServiceService } from '../../lib/gen/teamhub/session/v1/session.js';
import { SessionOpsServiceService } from '../../lib/gen/teamhub/session/v1/session_ops.js';
import type { EventSink } from '../../lib/events/publisher.js';
import { SessionControl } from './control.js';
import { controlHandlers } from './control-handlers.js';
import { SessionDomain, type SessionLimits } from './domain.js';
import { SessionEvents } from './events.js';
import { sessionHandlers } from './handlers.js';
import { MessageQueue } from './message-queue.js';
import { ConversationHistory } from './history.js';
import type { SessionStore } from './store.js';
import { SessionOps, sessionOpsHandlers } from './ops.js';
import { ScratchlistServiceService } from '../../lib/gen/teamhub/session/v1/scratchlist.js';
import { ScratchlistDomain } from './scratchlist.js';
import type { ScratchlistLimits } from './scratchlist-config.js';
import { scratchlistHandlers } from './scratchlist-handlers.js';
import type { ScratchlistStore } from './scratchlist-store.js';

export const HEALTH_NAME = 'teamhub.session.v1.SessionService';
export const REFLECTION_PROTOS = ['teamhub/session/v1/session.proto', 'teamhub/session/v1/scratchlist.proto', 'teamhub/session/v1/session_ops.proto'];

export interface ServiceDeps {
  store: SessionStore;
  sink: EventSink;
  now?: () => number;
  limits?: SessionLimits;
  /** Told when a scheduled message is stored, so this replica looks at its due time (scheduler.ts). */
  scheduler?: { wake(at: number): void };
  /** The scratchlist's store and limits (its own gRPC service in this process). */
  scratchlist?: { store: ScratchlistStore; limits: ScratchlistLimits };
}

/** The session service's gRPC registrations from its dependencies (no listening here; see main.ts). */
export function buildServices(deps: ServiceDeps): ServiceRegistration<any>[] {
  const events = new SessionEvents(deps.sink);
  const domain = new SessionDomain(deps.store, events, deps.now, undefined, deps.scheduler ? (at) => deps.scheduler!.wake(at) : undefined, deps.limits);
  const queue = new MessageQueue(deps.store, events, domain, deps.now);
  const control = new SessionControl(deps.store, events, domain);
  const history = new ConversationHistory(deps.store, events, domain);
  const services: ServiceRegistration<any>[] = [
    service(SessionServiceService, { ...sessionHandlers(domain, queue), ...controlHandlers(control, history) }),
    service(SessionOpsServiceService, sessionOpsHandlers(new SessionOps(deps.store))),
  ];
  if (deps.scratchlist) {
    const scratchlist = new ScratchlistDomain(deps.scratchlist.store, deps.store, deps.sink, deps.scratchlist.limits, deps.now);
    services.push(service(ScratchlistServiceService, scratchlistHandlers(scratchlist)));
  }
  return services;
}
