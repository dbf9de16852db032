import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { AppError, isAppError } from '../../lib/errors.js';
import { isNamespace, type Namespace } from '../../lib/namespace.js';
import { verifyWebJwt } from '../../lib/auth/jwt.js';
import { HUB_SUBJECTS } from '../../lib/nats/subjects.js';
import { RevocationEvent } from '../../lib/gen/teamhub/events/v1/events.js';
import type { Logger } from '../../lib/logger.js';
import type { Authenticator, ServiceClients, WebPrincipal } from '../deps.js';
import { RevocationCache } from './revocations.js';
import { TokenCache } from './token-cache.js';

export interface AuthenticatorOptions {
  clients: Pick<ServiceClients, 'auth'>;
  nc: NatsConnection;
  log: Logger;
  /** Positive cache lifetime for access-token resolutions (≤ 5 s). */
  tokenCacheMs?: number;
  /** How often the JWT key and revocation list are refreshed from the auth service. */
  verifierRefreshMs?: number;
}

const INVALID_TOKEN = 'Invalid token';

/**
 * Turns credentials into namespaces with the auth service's answers. Access tokens are resolved
 * by the auth service (cached ≤ 5 s by SHA-256, dropped on a credentials-changed revocation);
 * web JWTs are verified locally with the key and revocation list fetched from the auth service,
 * refreshed every 30 s and on each revocation event, whose payload is applied at once.
 */
export class GatewayAuthenticator implements Authenticator {
  private readonly tokens: TokenCache;
  private readonly revocations = new RevocationCache();
  private secret: Uint8Array | null = null;
  private loading: Promise<Uint8Array> | null = null;
  private sub: Subscription | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly opts: AuthenticatorOptions) {
    this.tokens = new TokenCache(Math.min(opts.tokenCacheMs ?? 5000, 5000));
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
    this.applyRevocation(ev);
    void this.refresh().catch(() => undefined);
  }

  /** Applies a revocation to this replica's caches (also used right after a local logout). */
  applyRevocation(ev: Partial<RevocationEvent>): void {
    if (ev.credentialsChanged) this.tokens.clear();
    if (ev.jti) this.revocations.revokeJti(ev.jti, ev.expiresAt ?? 0);
    if (ev.namespace !== undefined && ev.revokedBefore !== undefined) this.revocations.revokeBefore(ev.namespace, ev.revokedBefore);
  }

  private refresh(): Promise<Uint8Array> {
    if (this.loading) return this.loading;
    this.loading = (async () => {
      try {
        const res = await this.opts.clients.auth.call('getJwtVerifier', {}, { hub: true });
        for (const r of res.revoked) this.revocations.revokeJti(r.jti, r.expiresAt);
        for (const [ns, cutoff] of Object.entries(res.revokedBefore)) this.revocations.revokeBefore(ns, cutoff);
        this.revocations.prune();
        this.secret = new Uint8Array(res.jwtSecret);
        return this.secret;
      } finally {
        this.loading = null;
      }
    })();
    return this.loading;
  }

  async resolveAccessToken(token: string, clientAddr: string, surface: 'cli' | 'socket'): Promise<Namespace> {
    const cached = this.tokens.get(token);
    if (cached !== undefined) return cached;
    let ns: string;
    try {
      ({ namespace: ns } = await this.opts.clients.auth.call('resolveAccessToken', { accessToken: token, clientAddr, surface }, { hub: true }));
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
    return { namespace: claims.ns, jti: claims.jti, exp: claims.exp, uid: claims.uid };
  }

  async checkAdminToken(token: string, clientAddr: string, action: string): Promise<void> {
    try {
      await this.opts.clients.auth.call('checkAdminToken', { adminToken: token, clientAddr, action }, { hub: true });
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
