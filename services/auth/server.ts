import { service, type ServiceRegistration } from '../../lib/grpc/server.js';
import { AuthServiceService } from '../../lib/gen/teamhub/auth/v1/auth.js';
import { AuthOpsServiceService } from '../../lib/gen/teamhub/auth/v1/auth_ops.js';
import type { Logger } from '../../lib/logger.js';
import type { AuthConfig } from './config.js';
import type { AuthStore } from './store.js';
import type { HubSecrets } from './secrets.js';
import type { RevocationSink } from './events.js';
import { FailureThrottle } from './throttle.js';
import { AuditLog } from './audit.js';
import { CredentialService } from './domain.js';
import { NamespaceAdmin } from './admin.js';
import { authHandlers } from './handlers.js';
import { AuthOps, authOpsHandlers } from './ops.js';

export const HEALTH_NAME = 'teamhub.auth.v1.AuthService';
export const REFLECTION_PROTOS = ['teamhub/auth/v1/auth.proto', 'teamhub/auth/v1/auth_ops.proto'];

export interface ServiceDeps {
  cfg: Pick<AuthConfig, 'namespaceMode' | 'failLimit' | 'failWindowMs' | 'trustMs' | 'telegramBotToken'> & Partial<Pick<AuthConfig, 'webJwtTtlSec'>>;
  store: AuthStore;
  secrets: HubSecrets;
  revocations: RevocationSink;
  /** For work outside any call (the audit log's failed writes, background touches). */
  log: Logger;
  now?: () => number;
}

/** The auth service's gRPC registrations from its dependencies (no listening here; see main.ts). */
export function buildServices(deps: ServiceDeps): ServiceRegistration<any>[] {
  const now = deps.now ?? Date.now;
  const throttle = new FailureThrottle(deps.store, { limit: deps.cfg.failLimit, windowMs: deps.cfg.failWindowMs, trustMs: deps.cfg.trustMs }, now);
  const audit = new AuditLog(deps.store, deps.log, now);
  const credentials = new CredentialService({
    store: deps.store,
    secrets: deps.secrets,
    mode: deps.cfg.namespaceMode,
    telegramBotToken: deps.cfg.telegramBotToken,
    throttle,
    audit,
    revocations: deps.revocations,
    log: deps.log,
    now,
    webJwtTtlSec: deps.cfg.webJwtTtlSec,
  });
  const admin = new NamespaceAdmin(deps.store, audit, deps.revocations, now);
  return [service(AuthServiceService, authHandlers({ credentials, admin, audit })), service(AuthOpsServiceService, authOpsHandlers(new AuthOps(deps.store, audit)))];
}
