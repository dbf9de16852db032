import { randomBytes } from 'node:crypto';
import { AppError } from '../../lib/errors.js';
import { namespaceProblem, parseNamespace, type Namespace } from '../../lib/namespace.js';
import type { HubCallContext } from '../../lib/context.js';
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
  return parseNamespace(raw);
}

/**
 * Registered namespaces (create, list, rotate, revoke). These calls are hub-scoped and trust the
 * gateway to have checked the admin token (CheckAdminToken) first. Each change writes its one
 * audit row here, with the admin action's name as detail (`create-namespace`, …).
 * Rotating or revoking cuts every web JWT of the namespace issued before now (to the millisecond:
 * the jti carries the issue time, lib/auth/jwt.ts), its Telegram bindings, and tells every
 * gateway over NATS, which closes the sockets and streams the old credentials opened.
 */
export class NamespaceAdmin {
  constructor(
    private readonly store: AuthStore,
    private readonly audit: AuditLog,
    private readonly revocations: RevocationSink,
    private readonly now: () => number = Date.now,
  ) {}

  async create(ctx: HubCallContext, name: string, label: string, clientAddr: string): Promise<NamespaceWithToken> {
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
    await this.audit.record({ action: 'namespace_create', namespace: ns, clientAddr, outcome: 'ok', actor: 'admin', detail: 'create-namespace' });
    ctx.log.info({ created: ns }, 'namespace created');
    return { namespace: rec, token };
  }

  list(_ctx: HubCallContext): Promise<NamespaceRecord[]> {
    return this.store.listNamespaces();
  }

  /**
   * Everything the namespace's old credentials opened ends: web JWTs issued before now, the
   * sockets opened with the old token (the event names its hash, so gateways close exactly
   * those, wherever they are), and the Telegram accounts bound with it, which must bind again
   * with the new token.
   */
  private async cutCredentials(ctx: HubCallContext, ns: Namespace, oldTokenHash: string): Promise<void> {
    const revokedBefore = this.now();
    await this.store.setRevokedBefore(ns, revokedBefore);
    const unbound = await this.store.deleteTelegramBindings(ns);
    this.revocations.publish({ namespace: ns, expiresAt: 0, revokedBefore, credentialsChanged: true, tokenSha256: oldTokenHash });
    if (unbound > 0) ctx.log.info({ ns, unbound }, 'telegram bindings cut with the namespace credentials');
  }

  private async mustGet(ns: Namespace): Promise<NamespaceRecord> {
    const rec = await this.store.getNamespace(ns);
    if (!rec) throw new AppError('not_found', 'namespace not found');
    return rec;
  }

  /** New token; the old one stops at once. Also re-enables a revoked namespace. */
  async rotate(ctx: HubCallContext, name: string, clientAddr: string): Promise<NamespaceWithToken> {
    const ns = checkedName(name);
    const old = await this.mustGet(ns);
    const token = newNamespaceToken();
    if (!(await this.store.rotateNamespaceToken(ns, sha256Hex(token), this.now()))) throw new AppError('not_found', 'namespace not found');
    await this.cutCredentials(ctx, ns, old.tokenHash);
    await this.audit.record({ action: 'token_rotated', namespace: ns, clientAddr, outcome: 'ok', actor: 'admin', detail: 'rotate-namespace' });
    ctx.log.info({ rotated: ns }, 'namespace token rotated');
    return { namespace: await this.mustGet(ns), token };
  }

  async revoke(ctx: HubCallContext, name: string, clientAddr: string): Promise<NamespaceRecord> {
    const ns = checkedName(name);
    const old = await this.mustGet(ns);
    if (!(await this.store.revokeNamespace(ns, this.now()))) throw new AppError('not_found', 'namespace not found');
    await this.cutCredentials(ctx, ns, old.tokenHash);
    await this.audit.record({ action: 'token_revoked', namespace: ns, clientAddr, outcome: 'ok', actor: 'admin', detail: 'revoke-namespace' });
    ctx.log.info({ revoked: ns }, 'namespace revoked');
    return this.mustGet(ns);
  }
}
