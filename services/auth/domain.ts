import { createHash } from 'node:crypto';
import { AppError } from '../../lib/errors.js';
import { constantTimeEquals, parseAccessToken } from '../../lib/access-token.js';
import { isNamespace, type Namespace } from '../../lib/namespace.js';
import type { AnyCallContext, CallContext, HubCallContext } from '../../lib/context.js';
import { signWebJwt, WEB_JWT_TTL_SEC } from '../../lib/auth/jwt.js';
import { validateInitData, type TelegramUser } from '../../lib/auth/telegram-init-data.js';
import type { Logger } from '../../lib/logger.js';
import type { NamespaceMode } from './config.js';
import type { AuthStore, TelegramBinding } from './store.js';
import type { HubSecrets } from './secrets.js';
import type { FailureThrottle, ThrottleVerdict } from './throttle.js';
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
  /** Lifetime of a web JWT (HAPI's 4 hours unless TEAMHUB_WEB_JWT_TTL_SEC says less). */
  webJwtTtlSec?: number;
}

const TOUCH_INTERVAL_MS = 60_000;
const SUCCESS_AUDIT_INTERVAL_MS = 10 * 60_000;
export const TELEGRAM_DISABLED = 'Telegram authentication is disabled. Configure TELEGRAM_BOT_TOKEN.';

export function sha256Hex(s: string): string {
  return createHash('sha256').update(s, 'utf8').digest('hex');
}

/** What identifies a presented token to the throttle (it only ever stores it hashed). */
function tokenCredential(token: unknown): string | undefined {
  const t = typeof token === 'string' ? token.trim() : '';
  return t === '' ? undefined : `token:${t}`;
}

/**
 * The Telegram account initData claims, before its signature is checked: good enough to pick the
 * throttle's counter (forging the signature is hopeless, so claiming a teammate's id buys a
 * guesser nothing but its own, equally bounded, counter).
 */
function claimedTelegramCredential(initData: unknown): string | undefined {
  if (typeof initData !== 'string' || initData.length > 16_384) return undefined;
  try {
    const user = new URLSearchParams(initData).get('user');
    const id = user ? (JSON.parse(user) as { id?: unknown }).id : undefined;
    return typeof id === 'number' && Number.isSafeInteger(id) ? `tg:${id}` : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Everything about credentials: access tokens (open and registered modes), web JWTs, Telegram
 * logins and bindings, logout. Every credential check runs under the per-address throttle, and
 * every login, failed login, bind and unbind is audited. Every public method takes the caller's
 * context first: hub-wide for credential checks (the caller has no namespace yet), namespaced
 * for what a signed-in caller does in its own namespace.
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
  private async failed(ctx: AnyCallContext, action: string, clientAddr: string, surface: string, err: AppError, v: ThrottleVerdict): Promise<void> {
    const trusted = v.trusted ? '; trusted client' : '';
    await this.d.audit.record({ action, namespace: null, clientAddr, outcome: 'denied', actor: 'unknown', detail: `surface=${surface}; ${err.message}${trusted}` });
    if (v.count === this.d.throttle.limit) ctx.log.warn({ clientAddr, trusted: v.trusted }, 'client address throttled after repeated failed credentials');
  }

  /**
   * Records an attempt refused because its client is throttled. Bounded: past twice the limit
   * in one window, refusals are no longer written, so a flood cannot grow the audit log.
   */
  private async refused(action: string, clientAddr: string, surface: string, v: ThrottleVerdict): Promise<void> {
    if (v.count > 2 * this.d.throttle.limit) return;
    const trusted = v.trusted ? '; trusted client' : '';
    await this.d.audit.record({
      action,
      namespace: null,
      clientAddr,
      outcome: 'throttled',
      actor: 'unknown',
      detail: `surface=${surface}; refused after ${v.count - 1} failures${trusted}`,
    });
  }

  /**
   * Runs a credential check under the throttle. `credential` is what the caller presents (a
   * token, or `tg:<id>` for Telegram initData): a credential that worked from this client before
   * is still tried while others' failures lock the client's address (throttle.ts).
   */
  private guarded<T>(ctx: AnyCallContext, action: string, clientAddr: string, surface: string, credential: string | undefined, attempt: () => Promise<T>): Promise<T> {
    return this.d.throttle.guard(
      clientAddr,
      credential,
      attempt,
      (err, v) => this.failed(ctx, action, clientAddr, surface, err, v),
      (_err, v) => this.refused(action, clientAddr, surface, v),
    );
  }

  /**
   * /cli Bearer and socket handshake. Successful resolutions are audited at most once per
   * (surface, namespace, address) every 10 minutes per replica: the CLI calls this on every
   * request, and a login log entry per REST call would drown the audit log.
   */
  async resolve(ctx: HubCallContext, accessToken: string, clientAddr: string, surface: string): Promise<ResolvedCredential> {
    const res = await this.guarded(ctx, 'login_failed', clientAddr, surface || 'cli', tokenCredential(accessToken), () => this.resolveRaw(accessToken, 'Invalid token'));
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
    const { token } = await signWebJwt(this.d.secrets.jwtKey, { uid: this.d.secrets.ownerId, ns, ttlSec: this.d.webJwtTtlSec ?? WEB_JWT_TTL_SEC }, this.now());
    return token;
  }

  private botToken(): string {
    if (!this.d.telegramBotToken) throw new AppError('unavailable', TELEGRAM_DISABLED);
    return this.d.telegramBotToken;
  }

  private telegramUser(ctx: AnyCallContext, initData: string, clientAddr: string, surface: string): Promise<TelegramUser> {
    const bot = this.botToken();
    return this.guarded(ctx, 'login_failed', clientAddr, surface, claimedTelegramCredential(initData), async () => validateInitData(initData, bot, this.now()).user);
  }

  private webUser(u: TelegramUser): WebLogin['user'] {
    const user: WebLogin['user'] = { id: u.id };
    if (u.username !== undefined) user.username = u.username;
    if (u.firstName !== undefined) user.firstName = u.firstName;
    if (u.lastName !== undefined) user.lastName = u.lastName;
    return user;
  }

  /** POST /api/auth: an access token (error 'Invalid access token') or Telegram initData. */
  async issueWebToken(ctx: HubCallContext, cred: { accessToken: string } | { initData: string }, clientAddr: string): Promise<WebLogin> {
    if ('accessToken' in cred) {
      const res = await this.guarded(ctx, 'login_failed', clientAddr, 'web', tokenCredential(cred.accessToken), () => this.resolveRaw(cred.accessToken, 'Invalid access token'));
      await this.d.audit.record({ action: 'login', namespace: res.namespace, clientAddr, outcome: 'ok', actor: res.kind, detail: 'surface=web' });
      return { token: await this.jwtFor(res.namespace), namespace: res.namespace, user: { id: this.d.secrets.ownerId, firstName: 'Web User' } };
    }
    const tg = await this.telegramUser(ctx, cred.initData, clientAddr, 'telegram');
    const binding = await this.liveBinding(ctx, tg.id);
    if (!binding) {
      await this.d.audit.record({ action: 'login_failed', namespace: null, clientAddr, outcome: 'denied', actor: `telegram:${tg.id}`, detail: 'not_bound' });
      throw new AppError('unauthenticated', 'not_bound');
    }
    await this.d.audit.record({ action: 'login', namespace: binding.namespace, clientAddr, outcome: 'ok', actor: `telegram:${tg.id}`, detail: 'surface=telegram' });
    return { token: await this.jwtFor(binding.namespace), namespace: binding.namespace, user: this.webUser(tg) };
  }

  /**
   * The Telegram account's binding, if it still holds: a binding is cut with its namespace's
   * credentials (a rotate or revoke removes it, NamespaceAdmin), and one made before the
   * namespace's cut-off, or to a namespace that is revoked or gone, is refused and removed here
   * too, so a token leaked once cannot buy lasting access through a bound Telegram account.
   */
  private async liveBinding(ctx: AnyCallContext, telegramUserId: number): Promise<TelegramBinding | null> {
    const binding = await this.d.store.getTelegramBinding(telegramUserId);
    if (!binding) return null;
    let holds = true;
    if (this.d.mode === 'registered') {
      const rec = await this.d.store.getNamespace(binding.namespace);
      holds = rec !== null && !rec.revoked;
    }
    const cutoff = (await this.d.store.listRevokedBefore())[binding.namespace];
    if (cutoff !== undefined && binding.createdAt < cutoff) holds = false;
    if (holds) return binding;
    await this.d.store.unbindTelegram(binding.namespace, telegramUserId);
    ctx.log.info({ telegramUserId, ns: binding.namespace }, 'stale telegram binding removed');
    return null;
  }

  /** The namespace's Telegram bindings (its owner, or the admin for any namespace). */
  listTelegramBindings(_ctx: AnyCallContext, ns: Namespace): Promise<TelegramBinding[]> {
    return this.d.store.listTelegramBindings(ns);
  }

  /** Removes one of the namespace's bindings; false when that account is not bound to it. */
  async removeTelegramBinding(ctx: AnyCallContext, ns: Namespace, telegramUserId: number, clientAddr: string, actor: string): Promise<boolean> {
    if (!Number.isSafeInteger(telegramUserId) || telegramUserId <= 0) throw new AppError('invalid_argument', 'telegram_user_id must be a positive integer');
    const removed = await this.d.store.unbindTelegram(ns, telegramUserId);
    await this.d.audit.record({ action: 'unbind', namespace: ns, clientAddr, outcome: removed ? 'ok' : 'denied', actor, detail: `telegram:${telegramUserId}` });
    if (removed) ctx.log.info({ telegramUserId, ns }, 'telegram binding removed');
    return removed;
  }

  /** POST /api/bind: access token first, then Telegram enabled, then initData, then the binding. */
  async bindTelegram(ctx: HubCallContext, initData: string, accessToken: string, clientAddr: string): Promise<WebLogin> {
    const res = await this.guarded(ctx, 'bind_failed', clientAddr, 'bind', tokenCredential(accessToken), () => this.resolveRaw(accessToken, 'Invalid access token'));
    const tg = await this.telegramUser(ctx, initData, clientAddr, 'bind');
    const binding = await this.d.store.bindTelegram(res.namespace, tg.id, this.now());
    const actor = `telegram:${tg.id}`;
    if (binding.namespace !== res.namespace) {
      await this.d.audit.record({ action: 'bind', namespace: res.namespace, clientAddr, outcome: 'denied', actor, detail: 'already_bound' });
      throw new AppError('conflict', 'already_bound');
    }
    await this.d.audit.record({ action: 'bind', namespace: res.namespace, clientAddr, outcome: 'ok', actor });
    ctx.log.info({ telegramUserId: tg.id, boundTo: res.namespace }, 'telegram account bound');
    return { token: await this.jwtFor(res.namespace), namespace: res.namespace, user: this.webUser(tg) };
  }

  /** Removes the caller's Telegram binding, only when it belongs to the caller's namespace. */
  async unbindTelegram(ctx: CallContext, initData: string, clientAddr: string): Promise<boolean> {
    const ns = ctx.namespace;
    const tg = await this.telegramUser(ctx, initData, clientAddr, 'unbind');
    const unbound = await this.d.store.unbindTelegram(ns, tg.id);
    await this.d.audit.record({ action: 'unbind', namespace: ns, clientAddr, outcome: unbound ? 'ok' : 'denied', actor: `telegram:${tg.id}` });
    return unbound;
  }

  /** Logout: the jti stays revoked until its expiry; every gateway hears about it on NATS. */
  async revokeWebToken(ctx: CallContext, jti: string, expiresAt: number, clientAddr: string): Promise<void> {
    const ns = ctx.namespace;
    if (typeof jti !== 'string' || jti === '' || jti.length > 256) throw new AppError('invalid_argument', 'jti is required');
    const exp = expiresAt > 0 ? expiresAt : Math.floor(this.now() / 1000) + WEB_JWT_TTL_SEC;
    await this.d.store.revokeJti(ns, jti, exp);
    this.d.revocations.publish({ namespace: ns, jti, expiresAt: exp, credentialsChanged: false });
    await this.d.audit.record({ action: 'logout', namespace: ns, clientAddr, outcome: 'ok', actor: `jwt:${jti}` });
  }

  async jwtVerifier(_ctx: HubCallContext): Promise<{
    jwtSecret: Buffer;
    revoked: { jti: string; expiresAt: number }[];
    revokedBefore: Record<string, number>;
    registeredMode: boolean;
    namespaceTokenSha256: Record<string, string>;
  }> {
    const nowSec = Math.floor(this.now() / 1000);
    const registeredMode = this.d.mode === 'registered';
    const [revoked, revokedBefore, namespaces] = await Promise.all([
      this.d.store.listRevokedJtis(nowSec),
      this.d.store.listRevokedBefore(),
      registeredMode ? this.d.store.listNamespaces() : Promise.resolve([]),
    ]);
    const namespaceTokenSha256 = Object.fromEntries(namespaces.filter((n) => !n.revoked).map((n) => [n.name, n.tokenHash]));
    return { jwtSecret: Buffer.from(this.d.secrets.jwtKey), revoked: revoked.map((r) => ({ jti: r.jti, expiresAt: r.expiresAt })), revokedBefore, registeredMode, namespaceTokenSha256 };
  }

  /**
   * Constant-time check of the admin token; the base token is never accepted. Throttled, and a
   * refused token is audited. A good one is not: the action it allows is the one audit row (the
   * service that performs a change records it), so one admin action never writes two.
   */
  async checkAdminToken(ctx: HubCallContext, adminToken: string, clientAddr: string, action: string): Promise<void> {
    await this.guarded(ctx, 'admin_login_failed', clientAddr, `admin:${action}`, tokenCredential(adminToken), async () => {
      const given = typeof adminToken === 'string' ? adminToken.trim() : '';
      const ok = given !== '' && constantTimeEquals(given, this.d.secrets.adminToken) && !constantTimeEquals(given, this.d.secrets.baseToken);
      if (!ok) throw new AppError('unauthenticated', 'Invalid admin token');
    });
  }

  listTelegramRecipients(ctx: CallContext): Promise<number[]> {
    return this.d.store.listTelegramRecipients(ctx.namespace);
  }

  /** The namespace a Telegram account is bound to, or null (the bot's button taps). */
  async telegramBinding(_ctx: HubCallContext, telegramUserId: number): Promise<Namespace | null> {
    if (!Number.isSafeInteger(telegramUserId) || telegramUserId <= 0) throw new AppError('invalid_argument', 'telegram_user_id must be a positive integer');
    return (await this.d.store.getTelegramBinding(telegramUserId))?.namespace ?? null;
  }

  hubInfo(): { namespaceMode: NamespaceMode; telegramEnabled: boolean } {
    return { namespaceMode: this.d.mode, telegramEnabled: this.d.telegramBotToken !== undefined };
  }
}
