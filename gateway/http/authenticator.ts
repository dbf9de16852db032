import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { AppError, isAppError } from '../../lib/errors.js';
import { isNamespace, type Namespace } from '../../lib/namespace.js';
import { issuedAtMs, verifyWebJwt } from '../../lib/auth/jwt.js';
import { hubContext, type HubCallContext } from '../../lib/context.js';
import { HUB_SUBJECTS } from '../../lib/nats/subjects.js';
import { RevocationEvent } from '../../lib/gen/teamhub/events/v1/events.js';
import type { Logger } from '../../lib/logger.js';
import type { Authenticator, ServiceClients, WebPrincipal } from '../deps.js';
import type { RevocationNotice } from '../live/connections.js';
import { RevocationCache } from './revocations.js';
import { SseTickets } from './sse-ticket.js';
import { TokenCache } from './token-cache.js';

export interface AuthenticatorOptions {
  clients: Pick<ServiceClients, 'auth'>;
  nc: NatsConnection;
  log: Logger;
  /** Positive cache lifetime for access-token resolutions (≤ 5 s). */
  tokenCacheMs?: number;
  /** How often the JWT key and revocation list are refreshed from the auth service. */
  verifierRefreshMs?: number;
  /** The internal secret: with it, SSE tickets (sealed under a key derived from it) are offered. */
  internalSecret?: string;
}

const INVALID_TOKEN = 'Invalid token';

/**
 * Turns credentials into namespaces with the auth service's answers. Access tokens are resolved
 * by the auth service (cached ≤ 5 s by SHA-256, dropped on a credentials-changed revocation);
 * web JWTs are verified locally with the key and revocation list fetched from the auth service,
 * refreshed every 30 s; each revocation event's payload is applied at once (no refetch), and
 * handed to the watchers (live connections close what it covers).
 */
export class GatewayAuthenticator implements Authenticator {
  private readonly tokens: TokenCache;
  private readonly revocations = new RevocationCache();
  private secret: Uint8Array | null = null;
  private loading: Promise<Uint8Array> | null = null;
  private sub: Subscription | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly watchers = new Set<(notice: RevocationNotice | null) => void>();
  /** Registered mode: each live namespace's current token hash, as of the last refresh (null: open mode or not loaded). */
  private tokenHashes: { map: Map<string, string>; askedAt: number } | null = null;

  private readonly tickets: SseTickets | null;

  constructor(private readonly opts: AuthenticatorOptions) {
    this.tokens = new TokenCache(Math.min(opts.tokenCacheMs ?? 5000, 5000));
    this.tickets = opts.internalSecret ? new SseTickets(opts.internalSecret, opts.nc) : null;
  }

  issueSseTicket(p: WebPrincipal): { ticket: string; expiresInMs: number } {
    if (!this.tickets) throw new AppError('unavailable', 'SSE tickets are not enabled');
    return this.tickets.issue({ namespace: p.namespace, jti: p.jti, exp: p.exp, issuedMs: p.issuedMs, uid: p.uid });
  }

  async redeemSseTicket(ticket: string): Promise<WebPrincipal> {
    if (!this.tickets) throw new AppError('unauthenticated', 'Invalid ticket');
    const c = await this.tickets.redeem(ticket);
    // The JWT it was taken with must still hold: a logout or rotation since covers the ticket too.
    if (c.exp * 1000 <= Date.now() || this.isWebTokenRevoked(c)) throw new AppError('unauthenticated', 'Invalid ticket');
    return { namespace: c.namespace, jti: c.jti, exp: c.exp, issuedMs: c.issuedMs, uid: c.uid };
  }

  /** Subscribes to revocations and fetches the verifier (a failure is retried lazily). */
  async start(): Promise<void> {
    this.sub = this.opts.nc.subscribe(HUB_SUBJECTS.revocation, { callback: (err, msg) => (err ? undefined : this.onRevocation(msg.data)) });
    this.timer = setInterval(() => void this.refresh().catch(() => undefined), this.opts.verifierRefreshMs ?? 30_000);
    this.timer.unref();
    await this.refresh().catch((err: unknown) => this.opts.log.warn({ err: String(err) }, 'jwt verifier not loaded yet; will retry'));
  }

  private onRevocation(data: Uint8Array): void {
    let ev: RevocationEvent;
    try {
      ev = RevocationEvent.decode(data);
    } catch (err) {
      this.opts.log.warn({ err }, 'undecodable revocation event dropped');
      return;
    }
    // The event carries what was revoked, so it is applied as it is: refetching the whole list
    // on every event would make a login/logout loop cost every gateway a full list per logout.
    this.applyRevocation(ev);
  }

  /** Applies a revocation to this replica's caches and live connections (also right after a local logout). */
  applyRevocation(ev: Partial<RevocationEvent>): void {
    if (ev.credentialsChanged) this.tokens.clear();
    if (ev.jti) this.revocations.revokeJti(ev.jti, ev.expiresAt ?? 0);
    if (ev.namespace !== undefined && ev.revokedBefore !== undefined) this.revocations.revokeBefore(ev.namespace, ev.revokedBefore);
    this.notify({ namespace: ev.namespace, jti: ev.jti || undefined, revokedBefore: ev.revokedBefore, tokenSha256: ev.tokenSha256 || undefined });
  }

  watchRevocations(fn: (notice: RevocationNotice | null) => void): () => void {
    this.watchers.add(fn);
    return () => this.watchers.delete(fn);
  }

  isWebTokenRevoked(p: { namespace: Namespace; jti: string; issuedMs: number }): boolean {
    if (this.revocations.isRevoked(p.jti)) return true;
    const cutoff = this.revocations.revokedBefore(p.namespace);
    return cutoff !== undefined && p.issuedMs < cutoff;
  }

  private notify(notice: RevocationNotice | null): void {
    for (const fn of this.watchers) {
      try {
        fn(notice);
      } catch (err) {
        this.opts.log.warn({ err }, 'revocation watcher failed');
      }
    }
  }

  /**
   * Whether a socket's access token is no longer its namespace's (registered mode, by the last
   * refresh). Only sockets opened before that refresh asked are judged: a socket opened with a
   * new token meanwhile would look unknown to an older answer.
   */
  isAccessTokenRevoked(c: { namespace: Namespace; tokenHash: string; openedAt: number }): boolean {
    const known = this.tokenHashes;
    if (!known || c.openedAt >= known.askedAt) return false;
    return known.map.get(c.namespace) !== c.tokenHash;
  }

  private refresh(): Promise<Uint8Array> {
    if (this.loading) return this.loading;
    this.loading = (async () => {
      try {
        const askedAt = Date.now();
        const res = await this.opts.clients.auth.call('getJwtVerifier', {}, hubContext(this.opts.log));
        this.tokenHashes = res.registeredMode ? { map: new Map(Object.entries(res.namespaceTokenSha256)), askedAt } : null;
        for (const r of res.revoked) this.revocations.revokeJti(r.jti, r.expiresAt);
        for (const [ns, cutoff] of Object.entries(res.revokedBefore)) this.revocations.revokeBefore(ns, cutoff);
        this.revocations.prune();
        this.secret = new Uint8Array(res.jwtSecret);
        this.notify(null);
        return this.secret;
      } finally {
        this.loading = null;
      }
    })();
    return this.loading;
  }

  async resolveAccessToken(token: string, clientAddr: string, surface: 'cli' | 'socket', ctx?: HubCallContext): Promise<Namespace> {
    const cached = this.tokens.get(token);
    if (cached !== undefined) return cached;
    let ns: string;
    try {
      ({ namespace: ns } = await this.opts.clients.auth.call('resolveAccessToken', { accessToken: token, clientAddr, surface }, ctx ?? hubContext(this.opts.log)));
    } catch (err) {
      if (isAppError(err, 'unauthenticated') || isAppError(err, 'permission_denied') || isAppError(err, 'invalid_argument') || isAppError(err, 'not_found')) {
        throw new AppError('unauthenticated', INVALID_TOKEN, { cause: err });
      }
      throw err;
    }
    if (!isNamespace(ns)) throw new AppError('unauthenticated', INVALID_TOKEN);
    this.tokens.set(token, ns);
    return ns;
  }

  async verifyWebToken(jwt: string): Promise<WebPrincipal> {
    const secret = this.secret ?? (await this.refresh());
    const claims = await verifyWebJwt(jwt, secret, this.revocations);
    return { namespace: claims.ns, jti: claims.jti, exp: claims.exp, issuedMs: issuedAtMs(claims.jti, claims.iat), uid: claims.uid };
  }

  async checkAdminToken(token: string, clientAddr: string, action: string, ctx?: HubCallContext): Promise<void> {
    try {
      await this.opts.clients.auth.call('checkAdminToken', { adminToken: token, clientAddr, action }, ctx ?? hubContext(this.opts.log));
    } catch (err) {
      if (isAppError(err, 'unauthenticated') || isAppError(err, 'permission_denied') || isAppError(err, 'invalid_argument')) {
        throw new AppError('permission_denied', 'Admin token required', { cause: err });
      }
      throw err;
    }
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.sub?.unsubscribe();
  }
}
