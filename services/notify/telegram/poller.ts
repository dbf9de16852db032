import type { Logger } from '../../../lib/logger.js';
import type { BotApi, TgUpdate } from './bot-api.js';
import type { KvLease } from './lease.js';

export interface OffsetStore {
  load(): Promise<number | undefined>;
  save(offset: number): Promise<void>;
}

export interface PollerOptions {
  api: BotApi;
  lease: KvLease;
  leaseTtlMs: number;
  pollTimeoutSec: number;
  handle: (update: TgUpdate) => Promise<void>;
  /** Where the next getUpdates offset is kept, so a replica taking over skips handled updates. */
  offsets: OffsetStore;
  log: Logger;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });

/**
 * Long-polls getUpdates only while this process holds the poller lease, so Telegram never sees
 * two pollers. A timer renews the lease every third of its TTL; losing it aborts the poll in
 * flight. Another replica acquires the lease once it expires (or is released on shutdown).
 */
export class Poller {
  private readonly stopping = new AbortController();
  private poll: AbortController | null = null;
  private timer: NodeJS.Timeout | undefined;
  private offset: number | undefined;
  private loop: Promise<void> | undefined;

  constructor(private readonly o: PollerOptions) {}

  start(): void {
    const every = Math.max(100, Math.floor(this.o.leaseTtlMs / 3));
    this.timer = setInterval(() => void this.renew(), every);
    this.loop = this.run(every);
  }

  private async renew(): Promise<void> {
    if (this.stopping.signal.aborted || !this.o.lease.holding) return;
    if (!(await this.o.lease.tick())) this.poll?.abort();
  }

  private async run(retryMs: number): Promise<void> {
    const stop = this.stopping.signal;
    while (!stop.aborted) {
      if (!this.o.lease.held) {
        if (!(await this.o.lease.tick())) {
          await sleep(retryMs, stop);
          continue;
        }
        this.offset = await this.o.offsets.load().catch(() => this.offset);
      }
      const poll = new AbortController();
      this.poll = poll;
      let updates: TgUpdate[] = [];
      try {
        updates = await this.o.api.getUpdates(this.offset, this.o.pollTimeoutSec, poll.signal);
      } catch (err) {
        if (!poll.signal.aborted && !stop.aborted) {
          this.o.log.warn({ err }, 'telegram getUpdates failed');
          await sleep(1_000, stop);
        }
      } finally {
        this.poll = null;
      }
      for (const u of updates) {
        this.offset = Math.max(this.offset ?? 0, u.update_id + 1);
        try {
          await this.o.handle(u);
        } catch (err) {
          this.o.log.warn({ err, updateId: u.update_id }, 'telegram update handling failed');
        }
      }
      if (updates.length > 0 && this.offset !== undefined) {
        await this.o.offsets.save(this.offset).catch((err) => this.o.log.warn({ err }, 'telegram offset not saved'));
      }
    }
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    this.poll?.abort();
    if (this.timer) clearInterval(this.timer);
    await this.loop?.catch(() => undefined);
    await this.o.lease.release();
  }
}
