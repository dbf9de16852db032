import type { ServiceRegistration } from '../../lib/grpc/server.js';
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

export interface AuthServerDeps {
  cfg: Pick<AuthConfig, 'namespaceMode' | 'failLimit' | 'failWindowMs' | 'telegramBotToken'>;
  store: AuthStore;
  secrets: HubSecrets;
  revocations: RevocationSink;
  log: Logger;
  now?: () => number;
}

/** Builds the auth domain and returns its gRPC registrations (no listen). */
export function buildAuthServices(deps: AuthServerDeps): ServiceRegistration<any>[] {
  const now = deps.now ?? Date.now;
  const throttle = new FailureThrottle(deps.store, { limit: deps.cfg.failLimit, windowMs: deps.cfg.failWindowMs }, now);
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
  });
  const admin = new NamespaceAdmin(deps.store, audit, deps.revocations, now);
  return [authHandlers({ credentials, admin, audit })];
}
