import type { Logger } from '../../lib/logger.js';
import type { AuthStore, PruneCutoffs } from './store.js';

export interface PruneOptions {
  /** Throttle window: a counter whose window started longer ago than this is over. */
  failWindowMs: number;
  trustMs: number;
  auditRetentionMs: number;
  auditMaxRows: number;
  intervalMs: number;
}

/** The cut-offs of one pruning pass at `now`. */
export function pruneCutoffs(opts: PruneOptions, now: number): PruneCutoffs {
  return {
    jtiExpiredBeforeSec: Math.floor(now / 1000),
    throttleStartedBefore: now - opts.failWindowMs,
    trustBefore: now - opts.trustMs,
    auditBefore: now - opts.auditRetentionMs,
    auditKeep: opts.auditMaxRows,
  };
}

/**
 * Keeps the auth store's growing tables bounded: revoked jtis past their token's expiry (a gateway
 * would never accept that token anyway), throttle counters whose window is over, trusted
 * client/credential pairs not confirmed within the trust time, and audit rows past the retention
 * time or beyond the row cap. Runs at start and then every `intervalMs`; every replica may run it
 * (each delete is idempotent).
 */
export class StorePruner {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | null = null;

  constructor(
    private readonly store: AuthStore,
    private readonly opts: PruneOptions,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  start(): void {
    void this.runOnce();
    this.timer = setInterval(() => void this.runOnce(), this.opts.intervalMs);
    this.timer.unref();
  }

  /** One pass; a failure is logged and retried at the next interval. */
  runOnce(): Promise<void> {
    if (this.running) return this.running;
    this.running = (async () => {
      try {
        const n = await this.store.prune(pruneCutoffs(this.opts, this.now()));
        if (n.jtis + n.throttles + n.trust + n.audit > 0) this.log.info({ pruned: n }, 'auth store pruned');
      } catch (err) {
        this.log.warn({ err }, 'auth store pruning failed');
      } finally {
        this.running = null;
      }
    })();
    return this.running;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }
}
