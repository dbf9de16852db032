import { JetStreamApiError, type JetStreamClient } from '@nats-io/jetstream';
import { ROOT_CONTEXT } from '@opentelemetry/api';
import { InvalidArgumentError, type MsgHdrs, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '../logger.js';
import type { Namespace } from '../namespace.js';
import type { EventRelay, EventOutbox, OutboxEntry } from './outbox.js';
import type { EventStreams } from './stream.js';
import { subjectWords } from './publisher.js';
import { countPublished } from '../metrics/events.js';
import { tracePublish } from '../tracing/nats.js';

export interface OutboxRelayOptions {
  outbox: EventOutbox;
  nc: NatsConnection;
  js: JetStreamClient;
  streams: EventStreams;
  log: Logger;
  /** Longest a write waits for its events to be acked (TEAMHUB_EVENT_ACK_WAIT_MS). */
  ackWaitMs: number;
  /** Events published at once (in order, pipelined on the one connection). */
  batchSize?: number;
  /** How often a shared outbox is searched for other replicas' leftovers. */
  sweepMs?: number;
  /** How old a shared outbox's entry must be before any replica publishes it. */
  orphanAfterMs?: number;
}

const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5_000;

/** Errors the server or client will give again for the same event: it is dropped, not retried. */
function isPermanent(err: unknown): boolean {
  if (err instanceof InvalidArgumentError) return true; // larger than the server's max_payload
  return err instanceof JetStreamApiError; // the stream refused it with a reason (not an outage)
}

/**
 * Publishes a service's outbox to JetStream: entries in the order they were committed, each with
 * its event id as `Nats-Msg-Id`, so a publish retried after a lost ack (a node failing over, a
 * reconnect) is stored once. While the bus is away it waits for the connection to come back and
 * then publishes the backlog; nothing is dropped but what the stream refuses for good (an event
 * larger than the server allows), which is logged. Writes wait for their events (at most
 * `ackWaitMs`) only while the bus answers, so an outage costs them no time.
 */
export class OutboxRelay implements EventRelay {
  private readonly queue: OutboxEntry[] = [];
  private readonly queued = new Set<string>();
  private readonly waiters = new Map<string, Array<() => void>>();
  private busUp = true;
  private failing = false;
  private closed = false;
  private wake: (() => void) | null = null;
  private loop: Promise<void> | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  private retryMs = RETRY_MIN_MS;
  /** Counters for logs and tests. */
  readonly stats = { published: 0, duplicates: 0, dropped: 0, failures: 0 };

  private constructor(private readonly o: Required<OutboxRelayOptions>) {}

  static async start(opts: OutboxRelayOptions): Promise<OutboxRelay> {
    const relay = new OutboxRelay({ batchSize: 128, sweepMs: 5_000, orphanAfterMs: 10_000, ...opts });
    relay.watchBus();
    const backlog = await opts.outbox.unpublished();
    if (backlog.length > 0) opts.log.info({ events: backlog.length }, 'outbox backlog found at start; publishing');
    relay.enqueue(backlog);
    relay.loop = relay.run();
    if (opts.outbox.shared) {
      relay.sweeper = setInterval(() => void relay.sweep(), relay.o.sweepMs);
      relay.sweeper.unref();
    }
    return relay;
  }

  /** Entries committed in the store: published in this order. */
  enqueue(entries: OutboxEntry[]): void {
    let added = false;
    for (const e of entries) {
      if (this.queued.has(e.msgId)) continue;
      this.queued.add(e.msgId);
      this.queue.push(e);
      added = true;
    }
    if (added) this.kick();
  }

  /** Resolves once every entry is on the bus, after `ackWaitMs`, or at once while the bus is away. */
  settled(entries: OutboxEntry[]): Promise<void> {
    const open = entries.filter((e) => this.queued.has(e.msgId));
    if (open.length === 0 || !this.answering || this.o.ackWaitMs === 0) return Promise.resolve();
    return new Promise((resolve) => {
      let left = open.length;
      const timer = setTimeout(done, this.o.ackWaitMs);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      for (const e of open) {
        const list = this.waiters.get(e.msgId) ?? [];
        list.push(() => {
          if (--left === 0) done();
        });
        this.waiters.set(e.msgId, list);
      }
    });
  }

  /** Events committed but not yet on the bus (tests, logs). */
  get backlog(): number {
    return this.queue.length;
  }

  /** The bus is connected and the last publish went through. */
  get answering(): boolean {
    return this.busUp && !this.failing;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.sweeper);
    this.kick();
    await this.loop;
    this.releaseWaiters();
  }

  private kick(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  private pause(ms: number | null): Promise<void> {
    return new Promise((resolve) => {
      const timer = ms === null ? undefined : setTimeout(() => this.kick(), ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private watchBus(): void {
    void (async () => {
      for await (const s of this.o.nc.status()) {
        if (s.type === 'disconnect') {
          this.busUp = false;
          this.releaseWaiters();
        } else if (s.type === 'reconnect') {
          this.busUp = true;
          this.retryMs = RETRY_MIN_MS;
          this.kick();
        }
      }
    })();
  }

  /** Writes waiting for an ack stop waiting: the bus is not answering, the outbox keeps their events. */
  private releaseWaiters(): void {
    const all = [...this.waiters.values()];
    this.waiters.clear();
    for (const list of all) for (const w of list) w();
  }

  private finish(entries: OutboxEntry[]): void {
    for (const e of entries) {
      this.queued.delete(e.msgId);
      for (const w of this.waiters.get(e.msgId) ?? []) w();
      this.waiters.delete(e.msgId);
    }
  }

  private async run(): Promise<void> {
    while (!this.closed) {
      if (this.queue.length === 0 || !this.busUp) {
        await this.pause(null);
        continue;
      }
      const batch = this.queue.slice(0, this.o.batchSize);
      const { done, failure } = await this.publish(batch);
      const finished = this.queue.splice(0, done);
      this.finish(finished);
      if (finished.length > 0) {
        await this.o.outbox.published(finished).catch((err: unknown) => this.o.log.warn({ err }, 'outbox bookkeeping failed (events may be published again, and are then deduplicated)'));
      }
      if (failure === undefined) {
        if (this.failing) this.o.log.info({ backlog: this.queue.length }, 'event publishing recovered');
        this.failing = false;
        this.retryMs = RETRY_MIN_MS;
        continue;
      }
      this.stats.failures++;
      if (!this.failing) this.o.log.warn({ err: failure, backlog: this.queue.length }, 'event publish failed; the outbox keeps the events and retries');
      this.failing = true;
      this.releaseWaiters();
      if (this.closed) break;
      await this.pause(this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
    }
  }

  /**
   * Publishes a batch, pipelined. `done` counts the leading entries finished (stored, or refused
   * for good); a failure stops there and the rest is tried again in order (those of the rest
   * JetStream did store are then recognised by their ids).
   */
  private async publish(batch: OutboxEntry[]): Promise<{ done: number; failure?: unknown }> {
    const namespaces = [...new Set(batch.map((e) => e.namespace))];
    try {
      await Promise.all(namespaces.map((ns) => this.o.streams.ensure(ns)));
    } catch (err) {
      return { done: 0, failure: err };
    }
    const timeout = Math.max(this.o.ackWaitMs, 1_000);
    const results = await Promise.allSettled(
      batch.map((e) => {
        const { entity, kind } = subjectWords(e.subject);
        // A span per publish, in the trace of the call that wrote the event when this process wrote it.
        const publish = (headers: MsgHdrs | undefined) => this.o.js.publish(e.subject, e.data, headers ? { msgID: e.msgId, timeout, headers } : { msgID: e.msgId, timeout });
        return tracePublish(`${entity}.${kind}`, e.requestId, publish, e.traceContext ?? ROOT_CONTEXT);
      }),
    );
    let done = 0;
    for (const [i, r] of results.entries()) {
      const e = batch[i]!;
      const { entity, kind } = subjectWords(e.subject);
      if (r.status === 'fulfilled') {
        if (r.value.duplicate) this.stats.duplicates++;
        else {
          this.stats.published++;
          countPublished(entity, kind, true);
        }
        done++;
        continue;
      }
      countPublished(entity, kind, false);
      if (isPermanent(r.reason)) {
        this.stats.dropped++;
        this.o.log.error({ err: r.reason, subject: e.subject, bytes: e.data.byteLength }, 'event refused by the bus for good; dropped (clients resync)');
        done++;
        continue;
      }
      // No stream answers: it was deleted, or a cluster is electing its leader.
      if ((r.reason as Error | undefined)?.name === 'JetStreamNotEnabled') this.o.streams.forget(e.namespace as Namespace);
      return { done, failure: r.reason };
    }
    return { done };
  }

  /** A shared outbox: publish what other replicas left (a crash, or an outage longer than theirs). */
  private async sweep(): Promise<void> {
    if (!this.busUp || this.closed) return;
    try {
      this.enqueue(await this.o.outbox.unpublished({ olderThanMs: this.o.orphanAfterMs }));
    } catch (err) {
      this.o.log.warn({ err }, 'outbox sweep failed');
    }
  }
}
