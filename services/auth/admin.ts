import { randomBytes } from 'node:crypto';
import { AppError } from '../../lib/errors.js';
import { namespaceProblem, type Namespace } from '../../lib/namespace.js';
import type { AuthStore, NamespaceRecord } from './store.js';
import type { AuditLog } from './audit.js';
import type { RevocationSink } from './events.js';
import { sha256Hex } from './domain.js';

export interface NamespaceWithToken {
  namespace: NamespaceRecord;
  /** Shown once; only its SHA-256 is stored. */
  token: string;
}

function newNamespaceToken(): string {
  return randomBytes(32).toString('base64url');
}

function checkedName(raw: string): Namespace {
  const problem = namespaceProblem(raw);
  if (problem) throw new AppError('invalid_argument', `invalid namespace name: ${problem}`);
  return raw as Namespace;
}

/**
 * Registered namespaces (create, list, rotate, revoke). These calls are hub-scoped and trust the
 * gateway to have checked the admin token (CheckAdminToken) first; each one is audited.
 * Rotating or revoking cuts every web JWT of the namespace issued before now (milliseconds, see
 * `iat_ms` in lib/auth/jwt.ts) and tells every gateway over NATS.
 */
export class NamespaceAdmin {
  constructor(
    private readonly store: AuthStore,
    private readonly audit: AuditLog,
    private readonly revocations: RevocationSink,
    private readonly now: () => number = Date.now,
  ) {}

  async create(name: string, label: string, clientAddr: string): Promise<NamespaceWithToken> {
    const ns = checkedName(name);
    const token = newNamespaceToken();
    const rec: NamespaceRecord = {
      name: ns,
      label: typeof label === 'string' ? label.slice(0, 256) : '',
      tokenHash: sha256Hex(token),
      createdAt: this.now(),
      lastUsedAt: null,
      rotatedAt: null,
      revoked: false,
    };
    try {
      await this.store.createNamespace(rec);
    } catch (err) {
      if (err instanceof AppError && err.code === 'already_exists') {
        await this.audit.record({ action: 'namespace_create', namespace: ns, clientAddr, outcome: 'denied', actor: 'admin', detail: 'already exists' });
      }
      throw err;
    }
    await this.audit.record({ action: 'namespace_create', namespace: ns, clientAddr, outcome: 'ok', actor: 'admin' });
    return { namespace: rec, token };
  }

  list(): Promise<NamespaceRecord[]> {
    return this.store.listNamespaces();
  }

  private async cutCredentials(ns: Namespace): Promise<void> {
    const revokedBefore = this.now();
    await this.store.setRevokedBefore(ns, revokedBefore);
    this.revocations.publish({ namespace: ns, expiresAt: 0, revokedBefore, credentialsChanged: true });
  }

  private async mustGet(ns: Namespace): Promise<NamespaceRecord> {
    const rec = await this.store.getNamespace(ns);
    if (!rec) throw new AppError('not_found', 'namespace not found');
    return rec;
  }

  /** New token; the old one stops at once. Also re-enables a revoked namespace. */
  async rotate(name: string, clientAddr: string): Promise<NamespaceWithToken> {
    const ns = checkedName(name);
    const token = newNamespaceToken();
    if (!(await this.store.rotateNamespaceToken(ns, sha256Hex(token), this.now()))) throw new AppError('not_found', 'namespace not found');
    await this.cutCredentials(ns);
    await this.audit.record({ action: 'token_rotated', namespace: ns, clientAddr, outcome: 'ok', actor: 'admin' });
    return { namespace: await this.mustGet(ns), token };
  }

  async revoke(name: string, clientAddr: string): Promise<NamespaceRecord> {
    const ns = checkedName(name);
    if (!(await this.store.revokeNamespace(ns, this.now()))) throw new AppError('not_found', 'namespace not found');
    await this.cutCredentials(ns);
    await this.audit.record({ action: 'token_revoked', namespace: ns, clientAddr, outcome: 'ok', actor: 'admin' });
    return this.mustGet(ns);
  }
}
