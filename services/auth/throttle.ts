import { AppError } from '../../lib/errors.js';
import type { AuthStore } from './store.js';

export interface ThrottleOptions {
  /** Failures allowed per window and address. */
  limit: number;
  windowMs: number;
}

const MAX_CAS_ATTEMPTS = 20;

/**
 * Failed-credential throttling per client address, kept in the auth store so every auth replica
 * shares it (one document per address, updated by compare-and-swap on its version).
 *
 * Keyed by client address ONLY, never by namespace: someone sending `wrong:alice` a thousand
 * times locks out their own address, never alice. Only failures count; once an address has
 * `limit` failures in the current window, every attempt from it (even a correct one) is refused
 * with resource_exhausted until the window (started by the first failure) passes.
 * Requests without a known address share the key "unknown".
 */
export class FailureThrottle {
  constructor(
    private readonly store: AuthStore,
    private readonly opts: ThrottleOptions,
    private readonly now: () => number = Date.now,
  ) {}

  private key(addr: string): string {
    return addr.trim() || 'unknown';
  }

  /** Throws AppError('resource_exhausted') when the address is over its limit. */
  async check(addr: string): Promise<void> {
    const rec = await this.store.getThrottle(this.key(addr));
    if (!rec) return;
    const now = this.now();
    const endsAt = rec.windowStart + this.opts.windowMs;
    if (now < endsAt && rec.count >= this.opts.limit) {
      throw new AppError('resource_exhausted', 'Too many failed attempts', { details: { retryAfterMs: String(endsAt - now) } });
    }
  }

  /** Counts one failure; returns the count in the current window. */
  async recordFailure(addr: string): Promise<number> {
    const key = this.key(addr);
    for (let i = 0; i < MAX_CAS_ATTEMPTS; i++) {
      const rec = await this.store.getThrottle(key);
      const now = this.now();
      const fresh = !rec || now >= rec.windowStart + this.opts.windowMs;
      const next = fresh ? { count: 1, windowStart: now } : { count: rec.count + 1, windowStart: rec.windowStart };
      if (await this.store.casThrottle(key, rec ? rec.version : null, next)) return next.count;
    }
    throw new AppError('unavailable', 'throttle state is contended; retry');
  }

  /**
   * Runs `attempt` unless the address is throttled; an 'unauthenticated' failure is counted,
   * `onFailure` is told the new count, and the original error is rethrown.
   */
  async guard<T>(
    addr: string,
    attempt: () => Promise<T>,
    onFailure?: (err: AppError, count: number) => Promise<void>,
    onRefused?: (err: AppError, count: number) => Promise<void>,
  ): Promise<T> {
    try {
      await this.check(addr);
    } catch (err) {
      // A refused attempt still counts (its window does not move), so the audit can show it.
      if (onRefused && err instanceof AppError && err.code === 'resource_exhausted') await onRefused(err, await this.recordFailure(addr));
      throw err;
    }
    try {
      return await attempt();
    } catch (err) {
      if (err instanceof AppError && err.code === 'unauthenticated') {
        const count = await this.recordFailure(addr);
        if (onFailure) await onFailure(err, count);
      }
      throw err;
    }
  }

  get limit(): number {
    return this.opts.limit;
  }
}
