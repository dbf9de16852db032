import { service, type ServiceRegistration } from '../../lib/grpc/server.js';
import { SessionServiceService } from '../../lib/gen/teamhub/session/v1/session.js';
import type { EventSink } from '../../lib/events/publisher.js';
import type { Logger } from '../../lib/logger.js';
import { SessionDomain } from './domain.js';
import { SessionEvents } from './events.js';
import { sessionHandlers } from './handlers.js';
import type { SessionStore } from './store.js';

export const SESSION_HEALTH_NAME = 'teamhub.session.v1.SessionService';
export const SESSION_REFLECTION_PROTOS = ['teamhub/session/v1/session.proto'];

/** The session service's gRPC registrations (no listening here; see main.ts). */
export function sessionServices(deps: { store: SessionStore; sink: EventSink; log: Logger }): ServiceRegistration<any>[] {
  const domain = new SessionDomain(deps.store, new SessionEvents(deps.sink, deps.log));
  return [service(SessionServiceService, sessionHandlers(domain))];
}
