import { createHash } from 'node:crypto';
import { AppError } from '../../lib/errors.js';
import type { AuthStore } from './store.js';
import { clientKey } from './client-key.js';

export interface ThrottleOptions {
  /** Failures allowed per window and client. */
  limit: number;
  windowMs: number;
  /** How long a credential that worked from a client keeps that client trusted for it. */
  trustMs: number;
}

const MAX_CAS_ATTEMPTS = 20;
/** A trusted pair is rewritten at most this often per auth replica (every success would be a write). */
const TRUST_REFRESH_MS = 60 * 60_000;
const MAX_TRUST_MEMO = 10_000;

/** One refused or failed attempt, as the throttle reports it to the caller (for the audit log). */
export interface ThrottleVerdict {
  count: number;
  /** The attempt came from a client locked by failures, with a credential that worked from there before. */
  trusted: boolean;
}

function sha256(s: string): string {
  return createHash('sha256').update(s, 'utf8').digest('hex');
}

/**
 * Failed-credential throttling per client, kept in the auth store so every auth replica shares it
 * (one counter per key, updated by compare-and-swap on its version).
 *
 * The key is the client's address (an IPv6 address by its /64, see client-key.ts), never the
 * namespace: someone sending `wrong:alice` a thousand times locks out their own address, never
 * alice. Once a client has `limit` failures in the current window, its attempts are refused
 * with resource_exhausted until the window (started by the first failure) passes.
 *
 * A teammate is not locked out by a stranger's failures from the same address (behind one NAT or
 * a proxy that is not trusted, everyone is one address): like OWASP's device cookie, a credential
 * that succeeded from this client within `trustMs` is still tried while the address is locked,
 * with a failure counter of its own for that pair. A guess is by definition a credential that has
 * never worked, so guessers stay slowed.
 */
export class FailureThrottle {
  private readonly trustWritten = new Map<string, number>();

  constructor(
    private readonly store: AuthStore,
    private readonly opts: ThrottleOptions,
    private readonly now: () => number = Date.now,
  ) {}

  /** The refusal while `key` is over its limit, or null. */
  private async lockOf(key: string): Promise<AppError | null> {
    const rec = await this.store.getThrottle(key);
    if (!rec) return null;
    const now = this.now();
    const endsAt = rec.windowStart + this.opts.windowMs;
    if (now < endsAt && rec.count >= this.opts.limit) {
      return new AppError('resource_exhausted', 'Too many failed attempts', { details: { retryAfterMs: String(endsAt - now) } });
    }
    return null;
  }

  /** Counts one failure under `key`; returns the count in the current window. */
  private async recordFailure(key: string): Promise<number> {
    for (let i = 0; i < MAX_CAS_ATTEMPTS; i++) {
      const rec = await this.store.getThrottle(key);
      const now = this.now();
      const fresh = !rec || now >= rec.windowStart + this.opts.windowMs;
      const next = fresh ? { count: 1, windowStart: now } : { count: rec.count + 1, windowStart: rec.windowStart };
      if (await this.store.casThrottle(key, rec ? rec.version : null, next)) return next.count;
    }
    throw new AppError('unavailable', 'throttle state is contended; retry');
  }

  private async isTrusted(pair: string): Promise<boolean> {
    const at = await this.store.getTrust(pair);
    return at !== null && this.now() - at < this.opts.trustMs;
  }

  private async trust(pair: string): Promise<void> {
    const now = this.now();
    const last = this.trustWritten.get(pair);
    if (last !== undefined && now - last < TRUST_REFRESH_MS) return;
    if (this.trustWritten.size >= MAX_TRUST_MEMO) this.trustWritten.clear();
    await this.store.putTrust(pair, now);
    this.trustWritten.set(pair, now);
  }

  /**
   * Runs `attempt` unless the client is throttled. `credential` identifies what the attempt
   * presents (the token itself; it is only ever stored hashed with the client's key), or is
   * undefined when nothing stable identifies it. An 'unauthenticated' failure is counted and
   * `onFailure` told the new count; a refusal is counted and `onRefused` told. The attempt's own
   * error is rethrown.
   */
  async guard<T>(
    addr: string,
    credential: string | undefined,
    attempt: () => Promise<T>,
    onFailure?: (err: AppError, verdict: ThrottleVerdict) => Promise<void>,
    onRefused?: (err: AppError, verdict: ThrottleVerdict) => Promise<void>,
  ): Promise<T> {
    const client = clientKey(addr);
    const pair = credential === undefined || credential === '' ? undefined : sha256(`${client}\n${credential}`);
    let bucket = client;
    let trusted = false;
    const locked = await this.lockOf(client);
    if (locked) {
      if (pair !== undefined && (await this.isTrusted(pair))) {
        bucket = `trusted:${pair}`;
        trusted = true;
      }
      const refusal = trusted ? await this.lockOf(bucket) : locked;
      if (refusal) {
        // A refused attempt still counts (its window does not move), so the audit can show it.
        const count = await this.recordFailure(bucket);
        if (onRefused) await onRefused(refusal, { count, trusted });
        throw refusal;
      }
    }
    let result: T;
    try {
      result = await attempt();
    } catch (err) {
      if (err instanceof AppError && err.code === 'unauthenticated') {
        const count = await this.recordFailure(bucket);
        if (onFailure) await onFailure(err, { count, trusted });
      }
      throw err;
    }
    // Best effort: a trust row that was not written only means no exemption later.
    if (pair !== undefined) await this.trust(pair).catch(() => undefined);
    return result;
  }

  get limit(): number {
    return this.opts.limit;
  }
}
