import { randomUUID } from 'node:crypto';
import { namespaceContext } from '../../lib/context.js';
import type { Logger } from '../../lib/logger.js';
import type { SessionEvents } from './events.js';
import type { MessageQueueStore } from './store.js';

export interface SchedulerOptions {
  /** Longest sleep between two looks at the store (another replica may have stored a message). */
  pollMs: number;
  /** How long a claim keeps other replicas off a due message while this one delivers it. */
  claimMs: number;
  log: Logger;
  /** Due messages claimed per store call. */
  batch?: number;
  clock?: () => number;
  newToken?: () => string;
  /**
   * Runs one round of work (a claim, its events and its releases) the way the service runs a gRPC
   * call: the outbox's unit of work (lib/events/outbox.ts), so on SQLite the events commit in the
   * same transaction as the releases and a crash loses both or neither. Without it, as it is.
   */
  unitOfWork?: <T>(fn: () => Promise<T>, requestId: string) => Promise<T>;
}

/**
 * Delivers scheduled messages when they are due, exactly once across replicas and restarts. The
 * store is the only truth: a message waits with a due time; a replica claims due messages with a
 * compare-and-swap that holds other replicas off for `claimMs`, publishes one
 * `ScheduledMessageMatured` for each (the gateways send it to the CLI and announce
 * `scheduled-matured`), then releases it for good. A replica that dies between claim and release
 * leaves the claim to expire, and another replica delivers it then. Timers only decide when to
 * look: the next due time, the poll interval at the latest, or sooner when this replica stores a
 * message due earlier (`wake`).
 */
export class ScheduledDelivery {
  private timer: NodeJS.Timeout | undefined;
  private wakeAt = Number.POSITIVE_INFINITY;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = true;
  private readonly batch: number;
  private readonly clock: () => number;
  private readonly newToken: () => string;
  private readonly unitOfWork: <T>(fn: () => Promise<T>, requestId: string) => Promise<T>;

  constructor(
    private readonly store: MessageQueueStore,
    private readonly events: SessionEvents,
    private readonly opts: SchedulerOptions,
  ) {
    this.batch = opts.batch ?? 100;
    this.clock = opts.clock ?? Date.now;
    this.newToken = opts.newToken ?? randomUUID;
    this.unitOfWork = opts.unitOfWork ?? ((fn) => fn());
  }

  start(): void {
    this.stopped = false;
    this.arm(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** A message due at `at` was stored here: look then (if that is sooner than planned). */
  wake(at: number): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (at < this.wakeAt) this.arm(at - this.clock());
  }

  /** Delivers everything due now (and reports how many were published); the loop calls it, tests may too. */
  async deliverDue(): Promise<number> {
    let published = 0;
    for (;;) {
      const token = this.newToken();
      const round = await this.unitOfWork(() => this.deliverBatch(token), token);
      published += round.published;
      if (round.claimed < this.batch) return published;
    }
  }

  /**
   * One round: claims a batch, publishes each claimed message's event and releases it. The events
   * go to the service's outbox (stamped with the round's token as their request id), so they are
   * durable before the round ends and the relay publishes them even if the bus is away now.
   */
  private async deliverBatch(token: string): Promise<{ claimed: number; published: number }> {
    let published = 0;
    const now = this.clock();
    const claimed = await this.store.claimDueScheduled(now, now + this.opts.claimMs, token, this.batch);
    for (const m of claimed) {
      const ctx = namespaceContext(this.opts.log, m.namespace, token);
      // Taken, cancelled into another state or steered meanwhile: nothing to deliver, only to release.
      if (m.invokedAt === null && m.deliveryState === 'queued') {
        if (!(await this.events.scheduledMessageMatured(ctx, m))) continue;
        published++;
      }
      if (await this.store.releaseScheduled(m.namespace, m.id, token)) {
        ctx.log.info({ sessionId: m.sessionId, messageId: m.id, late: now - (m.scheduledAt ?? now) }, 'scheduled message delivered');
      } else {
        ctx.log.warn({ sessionId: m.sessionId, messageId: m.id }, 'scheduled message claim was taken over before release');
      }
    }
    return { claimed: claimed.length, published };
  }

  private arm(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    const delay = Math.max(0, Math.min(delayMs, this.opts.pollMs));
    this.wakeAt = this.clock() + delay;
    this.timer = setTimeout(() => this.run(), delay);
    this.timer.unref();
  }

  private run(): void {
    this.timer = undefined;
    this.wakeAt = Number.POSITIVE_INFINITY;
    this.running = (async () => {
      let next: number | null = null;
      try {
        do {
          this.again = false;
          await this.deliverDue();
        } while (this.again && !this.stopped);
        next = await this.store.nextDueAt();
      } catch (err) {
        this.opts.log.warn({ err }, 'scheduled delivery failed; retrying at the next poll');
      }
      this.running = null;
      this.arm(next === null ? this.opts.pollMs : next - this.clock());
    })();
  }
}
