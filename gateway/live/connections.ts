import { createHash } from 'node:crypto';
import { AppError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import type { Namespace } from '../../lib/namespace.js';

/**
 * The credential a live connection was opened with. A socket is opened with an access token
 * (the CLI's `<base>:alice` or a registered namespace's token), an SSE stream with a web JWT.
 */
export type LiveCredential =
  | {
      kind: 'access-token';
      namespace: Namespace;
      /** Hex SHA-256 of the trimmed token: what the auth service stores and names in a revocation. */
      tokenHash: string;
    }
  | {
      kind: 'web-jwt';
      namespace: Namespace;
      jti: string;
      /** Expiry, seconds since the epoch. */
      expiresAt: number;
      /** Issue time in milliseconds (the jti carries it), compared with a namespace's cut-off. */
      issuedMs: number;
    };

export type LiveSurface = 'socket' | 'sse';

/** Why a connection was ended by the registry. */
export type CloseReason = 'revoked' | 'expired';

/** A revocation as this replica learns it: the auth service's event, or a local logout. */
export interface RevocationNotice {
  namespace?: string;
  jti?: string;
  /** Tokens of the namespace issued before this time (ms) are revoked (rotate, revoke). */
  revokedBefore?: number;
  /** Hex SHA-256 of a namespace token that stopped working (rotate, revoke). */
  tokenSha256?: string;
}

export interface ConnectionLimitsPerSurface {
  perCredential: number;
  perNamespace: number;
}

export type RegistryLimits = Record<LiveSurface, ConnectionLimitsPerSurface>;

/** One registered connection; `revoked` turns true (once) when the registry ends it. */
export interface LiveRegistration {
  readonly revoked: boolean;
  /** Forgets the connection (it closed by itself); idempotent. */
  remove(): void;
}

interface Entry extends LiveRegistration {
  surface: LiveSurface;
  credential: LiveCredential;
  key: string;
  close: (reason: CloseReason) => void;
  timer: NodeJS.Timeout | undefined;
  revoked: boolean;
  openedAt: number;
}

/**
 * How long a revocation is remembered for connections still being opened: a credential is
 * checked, then the handshake or the stream's pre-checks await other services, and only then is
 * the connection registered; a revocation heard in between would otherwise miss it. Opening takes
 * well under this; the list refresh (every 30 s) covers anything slower.
 */
export const RECENT_REVOCATION_MS = 60_000;
/** At most this many recent revocations are remembered (the oldest go first). */
export const MAX_RECENT_REVOCATIONS = 10_000;

/** Hex SHA-256 of an access token as the auth service hashes it (trimmed). */
export function accessTokenHash(token: string): string {
  return createHash('sha256').update(token.trim(), 'utf8').digest('hex');
}

function credentialKey(c: LiveCredential): string {
  return c.kind === 'access-token' ? `a:${c.tokenHash}` : `j:${c.jti}`;
}

/** Does this notice revoke this credential? Every notice names the namespace it is about. */
export function revokes(n: RevocationNotice, c: LiveCredential): boolean {
  if (n.namespace === undefined || n.namespace !== c.namespace) return false;
  if (c.kind === 'web-jwt') return (n.jti !== undefined && n.jti === c.jti) || (n.revokedBefore !== undefined && c.issuedMs < n.revokedBefore);
  return n.tokenSha256 !== undefined && n.tokenSha256 === c.tokenHash;
}

/**
 * Every live connection of this gateway replica (CLI sockets, SSE streams) with the credential
 * that opened it. A credential is checked once, when the connection opens; this registry is what
 * makes a revocation reach connections already open: a revoke, rotate or logout closes each one
 * it covers at once (every replica hears the revocation on NATS and closes its own), and a web
 * JWT's connection is closed when the JWT expires. It also holds the fair-share limits: how many
 * sockets and streams one credential and one namespace may keep open on this replica.
 */
export class ConnectionRegistry {
  private readonly byNamespace = new Map<Namespace, Set<Entry>>();
  private readonly byCredential = new Map<string, Set<Entry>>();
  /** Revocations heard lately, oldest first, so a connection that registers after one is refused. */
  private readonly recent: Array<{ at: number; notice: RevocationNotice }> = [];

  constructor(
    private readonly limits: RegistryLimits,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Registers a connection, or throws AppError('resource_exhausted') when its credential or its
   * namespace already holds the limit on this surface, and AppError('unauthenticated') when a
   * revocation heard while it was being opened covers its credential. `close` ends the
   * connection; it is called at most once, by the registry, and the entry is forgotten before it runs.
   */
  add(surface: LiveSurface, credential: LiveCredential, close: (reason: CloseReason) => void): LiveRegistration {
    this.forgetOldRevocations();
    // A revocation is for good (a rotated token never works again, a logged-out jti neither), so
    // any remembered one that covers the credential means it was checked just before it landed.
    if (this.recent.some((r) => revokes(r.notice, credential))) throw new AppError('unauthenticated', 'Invalid token');
    const key = credentialKey(credential);
    const limit = this.limits[surface];
    const what = surface === 'socket' ? 'connections' : 'event streams';
    if (this.count(this.byCredential.get(key), surface) >= limit.perCredential) {
      throw new AppError('resource_exhausted', `Too many ${what} for this credential (at most ${limit.perCredential})`);
    }
    if (this.count(this.byNamespace.get(credential.namespace), surface) >= limit.perNamespace) {
      throw new AppError('resource_exhausted', `Too many ${what} for this namespace (at most ${limit.perNamespace})`);
    }
    const entry: Entry = {
      surface,
      credential,
      key,
      close,
      timer: undefined,
      revoked: false,
      openedAt: this.now(),
      remove: () => this.forget(entry),
    };
    this.index(this.byNamespace, credential.namespace, entry);
    this.index(this.byCredential, key, entry);
    if (credential.kind === 'web-jwt') {
      // Node timers hold at most about 24.8 days; a web JWT lives 4 hours.
      const inMs = Math.min(Math.max(0, credential.expiresAt * 1000 - this.now()), 2 ** 31 - 1);
      entry.timer = setTimeout(() => this.end(entry, 'expired'), inMs);
      entry.timer.unref();
    }
    return entry;
  }

  /** Closes every connection the notice revokes; returns how many. */
  revoke(notice: RevocationNotice): number {
    if (notice.namespace === undefined) return 0;
    this.recent.push({ at: this.now(), notice });
    if (this.recent.length > MAX_RECENT_REVOCATIONS) this.recent.shift();
    const set = this.byNamespace.get(notice.namespace as Namespace);
    if (!set) return 0;
    let closed = 0;
    for (const e of [...set]) {
      if (!revokes(notice, e.credential)) continue;
      this.end(e, 'revoked');
      closed++;
    }
    if (closed > 0) this.log.info({ ns: notice.namespace, closed }, 'live connections closed after a revocation');
    return closed;
  }

  /**
   * Closes every connection whose credential `isRevoked` says is revoked now (it is told when the
   * connection opened): run after each full refresh of the revocation list, so a revocation whose
   * NATS event this replica missed (it was disconnected from NATS then) still ends what it covers.
   */
  sweep(isRevoked: (c: LiveCredential, openedAt: number) => boolean): number {
    let closed = 0;
    for (const set of [...this.byNamespace.values()]) {
      for (const e of [...set]) {
        if (!isRevoked(e.credential, e.openedAt)) continue;
        this.end(e, 'revoked');
        closed++;
      }
    }
    if (closed > 0) this.log.info({ closed }, 'live connections closed after a revocation list refresh');
    return closed;
  }

  /** Open connections of a namespace on a surface (tests, limits). */
  countIn(ns: Namespace, surface: LiveSurface): number {
    return this.count(this.byNamespace.get(ns), surface);
  }

  get size(): number {
    let n = 0;
    for (const set of this.byNamespace.values()) n += set.size;
    return n;
  }

  private forgetOldRevocations(): void {
    const before = this.now() - RECENT_REVOCATION_MS;
    let n = 0;
    while (n < this.recent.length && this.recent[n]!.at < before) n++;
    if (n > 0) this.recent.splice(0, n);
  }

  private end(e: Entry, reason: CloseReason): void {
    if (e.revoked) return;
    e.revoked = true;
    this.forget(e);
    try {
      e.close(reason);
    } catch (err) {
      this.log.warn({ err, surface: e.surface }, 'closing a live connection failed');
    }
  }

  private forget(e: Entry): void {
    if (e.timer) clearTimeout(e.timer);
    e.timer = undefined;
    this.unindex(this.byNamespace, e.credential.namespace, e);
    this.unindex(this.byCredential, e.key, e);
  }

  private count(set: Set<Entry> | undefined, surface: LiveSurface): number {
    if (!set) return 0;
    let n = 0;
    for (const e of set) if (e.surface === surface) n++;
    return n;
  }

  private index<K>(map: Map<K, Set<Entry>>, key: K, e: Entry): void {
    let set = map.get(key);
    if (!set) map.set(key, (set = new Set()));
    set.add(e);
  }

  private unindex<K>(map: Map<K, Set<Entry>>, key: K, e: Entry): void {
    const set = map.get(key);
    if (!set) return;
    set.delete(e);
    if (set.size === 0) map.delete(key);
  }
}
