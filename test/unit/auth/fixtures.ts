import { createRootLogger } from '../../../lib/logger.js';
import type { RevocationEvent } from '../../../lib/gen/teamhub/events/v1/events.js';
import { SqliteAuthStore } from '../../../services/auth/store-sqlite.js';
import { FailureThrottle } from '../../../services/auth/throttle.js';
import { AuditLog } from '../../../services/auth/audit.js';
import { CredentialService } from '../../../services/auth/domain.js';
import type { NamespaceMode } from '../../../services/auth/config.js';
import type { HubSecrets } from '../../../services/auth/secrets.js';

export const silentLog = createRootLogger('test', 'silent');

export function testSecrets(baseToken: string): HubSecrets {
  return {
    baseToken,
    baseTokenSource: 'env',
    adminToken: 'admin-token-0123456789abcdef',
    jwtKey: new Uint8Array(32).fill(7),
    internalSecret: 'internal-secret-0123456789',
    ownerId: 1886429390,
  };
}

/** A CredentialService over an in-memory SQLite store (a real store, no network). */
export async function credentialService(baseToken: string, mode: NamespaceMode = 'open', opts: { limit?: number; bot?: string } = {}) {
  const store = await SqliteAuthStore.open(':memory:');
  const events: RevocationEvent[] = [];
  const throttle = new FailureThrottle(store, { limit: opts.limit ?? 1000, windowMs: 60_000, trustMs: 30 * 24 * 3600_000 });
  const audit = new AuditLog(store, silentLog);
  const svc = new CredentialService({
    store,
    secrets: testSecrets(baseToken),
    mode,
    telegramBotToken: opts.bot,
    throttle,
    audit,
    revocations: { publish: (ev) => events.push(ev) },
    log: silentLog,
  });
  return { svc, store, events, audit };
}
