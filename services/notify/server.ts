import { service, type ServiceRegistration } from '../../lib/grpc/server.js';
import { NotifyServiceService } from '../../lib/gen/teamhub/notify/v1/notify.js';
import type { NotifyDomain } from './domain.js';
import { notifyHandlers } from './handlers.js';

export const HEALTH_NAME = 'teamhub.notify.v1.NotifyService';
export const REFLECTION_PROTOS = ['teamhub/notify/v1/notify.proto'];

export interface ServiceDeps {
  domain: NotifyDomain;
}

/** The notify service's gRPC registrations (no listening here; see main.ts). */
export function buildServices(deps: ServiceDeps): ServiceRegistration<any>[] {
  return [service(NotifyServiceService, notifyHandlers(deps.domain))];
}
