import { createHash } from 'node:crypto';
import { AppError } from '../../lib/errors.js';
import { constantTimeEquals, parseAccessToken } from '../../lib/access-token.js';
import { isNamespace, type Namespace } from '../../lib/namespace.js';
import { signWebJwt, WEB_JWT_TTL_SEC } from '../../lib/auth/jwt.js';
import { validateInitData, type TelegramUser } from '../../lib/auth/telegram-init-data.js';
import type { Logger } from '../../lib/logger.js';
import type { NamespaceMode } from './config.js';
import type { AuthStore } from './store.js';
import type { HubSecrets } from './secrets.js';
import type { FailureThrottle } from './throttle.js';
import type { AuditLog } from './audit.js';
import type { RevocationSink } from './events.js';

export type CredentialKind = 'base' | 'namespace-token';

export interface ResolvedCredential {
  namespace: Namespace;
  kind: CredentialKind;
}

export interface WebLogin {
  token: string;
  namespace: Namespace;
  user: { id: number; username?: string; firstName?: string; lastName?: string };
}

export interface AuthDomainDeps {
  store: AuthStore;
  secrets: HubSecrets;
  mode: NamespaceMode;
  telegramBotToken: string | undefined;
  throttle: FailureThrottle;
  audit: AuditLog;
  revocations: RevocationSink;
  log: Logger;
  now?: () => number;
}

const TOUCH_INTERVAL_MS = 60_000;
const SUCCESS_AUDIT_INTERVAL_MS = 10 * 60_000;
export const TELEGRAM_DISABLED = 'Telegram authentication is disabled. Configure TELEGRAM_BOT_TOKEN.';

export function sha256Hex(s: string): string {
  return createHash('sha256').update(s, 'utf8').digest('hex');
}

/**
 * Everything about credentials: access tokens (open and registered modes), web JWTs, Telegram
 * logins and bindings, logout. Every credential check runs under the per-address throttle, and
 * every login, failed login, bind and unbind is audited.
 */
export class CredentialService {
  private readonly now: () => number;
  /** Per-replica de-duplication of successful token resolutions in the audit log (see resolve). */
  private readonly lastSuccessAudit = new Map<string, number>();

  constructor(private readonly d: AuthDomainDeps) {
    this.now = d.now ?? Date.now;
  }

  /** Token → namespace without throttling or audit; every failure is unauthenticated(message). */
  async resolveRaw(accessToken: string, message: string): Promise<ResolvedCredential> {
    if (this.d.mode === 'registered') {
      const token = typeof accessToken === 'string' ? accessToken.trim() : '';
      if (token === '') throw new AppError('unauthenticated', message);
      const rec = await this.d.store.findNamespaceByTokenHash(sha256Hex(token));
      if (!rec || rec.revoked) throw new AppError('unauthenticated', message);
      const now = this.now();
      if (rec.lastUsedAt === null || now - rec.lastUsedAt >= TOUCH_INTERVAL_MS) {
        this.d.store.touchNamespace(rec.name, now).catch((err: unknown) => this.d.log.warn({ err }, 'namespace last-used update failed'));
      }
      return { namespace: rec.name, kind: 'namespace-token' };
    }
    const parsed = parseAccessToken(accessToken);
    if (!parsed || !constantTimeEquals(parsed.baseToken, this.d.secrets.baseToken) || !isNamespace(parsed.namespace)) {
      throw new AppError('unauthenticated', message);
    }
    return { namespace: parsed.namespace, kind: 'base' };
  }

  /** Records a failed credential (hub-level entry: the claimed namespace is not trusted). */
  private async failed(action: string, clientAddr: string, surface: string, err: AppError, count: number): Promise<void> {
    await this.d.audit.record({ action, namespace: null, clientAddr, outcome: 'denied', actor: 'unknown', detail: `surface=${surface}; ${err.message}` });
    if (count === this.d.throttle.limit) this.d.log.warn({ clientAddr }, 'client address throttled after repeated failed credentials');
  }

  /**
   * Records an attempt refused because its address is throttled. Bounded: past twice the limit
   * in one window, refusals are no longer written, so a flood cannot grow the audit log.
   */
  private async refused(action: string, clientAddr: string, surface: string, count: number): Promise<void> {
    if (count > 2 * this.d.throttle.limit) return;
    await this.d.audit.record({ action, namespace: null, clientAddr, outcome: 'throttled', actor: 'unknown', detail: `surface=${surface}; refused after ${count - 1} failures` });
  }

  private guarded<T>(action: string, clientAddr: string, surface: string, attempt: () => Promise<T>): Promise<T> {
    return this.d.throttle.guard(
      clientAddr,
      attempt,
      (err, count) => this.failed(action, clientAddr, surface, err, count),
      (_err, count) => this.refused(action, clientAddr, surface, count),
    );
  }

  /**
   * /cli Bearer and socket handshake. Successful resolutions are audited at most once per
   * (surface, namespace, address) every 10 minutes per replica: the CLI calls this on every
   * request, and a login log entry per REST call would drown the audit log.
   */
  async resolve(accessToken: string, clientAddr: string, surface: string): Promise<ResolvedCredential> {
    const res = await this.guarded('login_failed', clientAddr, surface || 'cli', () => this.resolveRaw(accessToken, 'Invalid token'));
    const key = `${surface}\u0000${res.namespace}\u0000${clientAddr}`;
    const now = this.now();
    const last = this.lastSuccessAudit.get(key);
    if (last === undefined || now - last >= SUCCESS_AUDIT_INTERVAL_MS) {
      if (this.lastSuccessAudit.size > 10_000) this.lastSuccessAudit.clear();
      this.lastSuccessAudit.set(key, now);
      await this.d.audit.record({ action: 'login', namespace: res.namespace, clientAddr, outcome: 'ok', actor: res.kind, detail: `surface=${surface}` });
    }
    return res;
  }

  private async jwtFor(ns: Namespace): Promise<string> {
    const { token } = await signWebJwt(this.d.secrets.jwtKey, { uid: this.d.secrets.ownerId, ns, ttlSec: WEB_JWT_TTL_SEC }, this.now());
    return token;
  }

  private botToken(): string {
    if (!this.d.telegramBotToken) throw new AppError('unavailable', TELEGRAM_DISABLED);
    return this.d.telegramBotToken;
  }

  private telegramUser(initData: string, clientAddr: string, surface: string): Promise<TelegramUser> {
    const bot = this.botToken();
    return this.guarded('login_failed', clientAddr, surface, async () => validateInitData(initData, bot, this.now()).user);
  }

  private webUser(u: TelegramUser): WebLogin['user'] {
    const user: WebLogin['user'] = { id: u.id };
    if (u.username !== undefined) user.username = u.username;
    if (u.firstName !== undefined) user.firstName = u.firstName;
    if (u.lastName !== undefined) user.lastName = u.lastName;
    return user;
  }

  /** POST /api/auth: an access token (error 'Invalid access token') or Telegram initData. */
  async issueWebToken(cred: { accessToken: string } | { initData: string }, clientAddr: string): Promise<WebLogin> {
    if ('accessToken' in cred) {
      const res = await this.guarded('login_failed', clientAddr, 'web', () => this.resolveRaw(cred.accessToken, 'Invalid access token'));
      await this.d.audit.record({ action: 'login', namespace: res.namespace, clientAddr, outcome: 'ok', actor: res.kind, detail: 'surface=web' });
      return { token: await this.jwtFor(res.namespace), namespace: res.namespace, user: { id: this.d.secrets.ownerId, firstName: 'Web User' } };
    }
    const tg = await this.telegramUser(cred.initData, clientAddr, 'telegram');
    const binding = await this.d.store.getTelegramBinding(tg.id);
    if (!binding) {
      await this.d.audit.record({ action: 'login_failed', namespace: null, clientAddr, outcome: 'denied', actor: `telegram:${tg.id}`, detail: 'not_bound' });
      throw new AppError('unauthenticated', 'not_bound');
    }
    await this.d.audit.record({ action: 'login', namespace: binding.namespace, clientAddr, outcome: 'ok', actor: `telegram:${tg.id}`, detail: 'surface=telegram' });
    return { token: await this.jwtFor(binding.namespace), namespace: binding.namespace, user: this.webUser(tg) };
  }

  /** POST /api/bind: access token first, then Telegram enabled, then initData, then the binding. */
  async bindTelegram(initData: string, accessToken: string, clientAddr: string): Promise<WebLogin> {
    const res = await this.guarded('bind_failed', clientAddr, 'bind', () => this.resolveRaw(accessToken, 'Invalid access token'));
    const tg = await this.telegramUser(initData, clientAddr, 'bind');
    const binding = await this.d.store.bindTelegram(res.namespace, tg.id, this.now());
    const actor = `telegram:${tg.id}`;
    if (binding.namespace !== res.namespace) {
      await this.d.audit.record({ action: 'bind', namespace: res.namespace, clientAddr, outcome: 'denied', actor, detail: 'already_bound' });
      throw new AppError('conflict', 'already_bound');
    }
    await this.d.audit.record({ action: 'bind', namespace: res.namespace, clientAddr, outcome: 'ok', actor });
    return { token: await this.jwtFor(res.namespace), namespace: res.namespace, user: this.webUser(tg) };
  }

  /** Removes the caller's Telegram binding, only when it belongs to the caller's namespace. */
  async unbindTelegram(ns: Namespace, initData: string, clientAddr: string): Promise<boolean> {
    const tg = await this.telegramUser(initData, clientAddr, 'unbind');
    const unbound = await this.d.store.unbindTelegram(ns, tg.id);
    await this.d.audit.record({ action: 'unbind', namespace: ns, clientAddr, outcome: unbound ? 'ok' : 'denied', actor: `telegram:${tg.id}` });
    return unbound;
  }

  /** Logout: the jti stays revoked until its expiry; every gateway hears about it on NATS. */
  async revokeWebToken(ns: Namespace, jti: string, expiresAt: number, clientAddr: string): Promise<void> {
    if (typeof jti !== 'string' || jti === '' || jti.length > 256) throw new AppError('invalid_argument', 'jti is required');
    const exp = expiresAt > 0 ? expiresAt : Math.floor(this.now() / 1000) + WEB_JWT_TTL_SEC;
    await this.d.store.revokeJti(ns, jti, exp);
    this.d.revocations.publish({ namespace: ns, jti, expiresAt: exp, credentialsChanged: false });
    await this.d.audit.record({ action: 'logout', namespace: ns, clientAddr, outcome: 'ok', actor: `jwt:${jti}` });
  }

  async jwtVerifier(): Promise<{ jwtSecret: Buffer; revoked: { jti: string; expiresAt: number }[]; revokedBefore: Record<string, number> }> {
    const nowSec = Math.floor(this.now() / 1000);
    const [revoked, revokedBefore] = await Promise.all([this.d.store.listRevokedJtis(nowSec), this.d.store.listRevokedBefore()]);
    return { jwtSecret: Buffer.from(this.d.secrets.jwtKey), revoked: revoked.map((r) => ({ jti: r.jti, expiresAt: r.expiresAt })), revokedBefore };
  }

  /** Constant-time check of the admin token; the base token is never accepted. Throttled and audited. */
  async checkAdminToken(adminToken: string, clientAddr: string, action: string): Promise<void> {
    await this.guarded('admin_login_failed', clientAddr, `admin:${action}`, async () => {
      const given = typeof adminToken === 'string' ? adminToken.trim() : '';
      const ok = given !== '' && constantTimeEquals(given, this.d.secrets.adminToken) && !constantTimeEquals(given, this.d.secrets.baseToken);
      if (!ok) throw new AppError('unauthenticated', 'Invalid admin token');
    });
    await this.d.audit.record({ action: 'admin_login', namespace: null, clientAddr, outcome: 'ok', actor: 'admin', detail: action });
  }

  listTelegramRecipients(ns: Namespace): Promise<number[]> {
    return this.d.store.listTelegramRecipients(ns);
  }

  hubInfo(): { namespaceMode: NamespaceMode; telegramEnabled: boolean } {
    return { namespaceMode: this.d.mode, telegramEnabled: this.d.telegramBotToken !== undefined };
  }
}
