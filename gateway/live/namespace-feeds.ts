import type { Consumer, ConsumerMessages, JetStreamClient, JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { EntityEvent } from '../../lib/gen/teamhub/events/v1/events.js';
import { eventStreamName, type EventStreams } from '../../lib/events/stream.js';
import type { Logger } from '../../lib/logger.js';
import type { Namespace } from '../../lib/namespace.js';
import { checkedPayload } from '../../lib/nats/connection.js';
import { LiveEvent, type LiveListener } from './live-event.js';

/** A listener's hold on a namespace's feed. */
export interface FeedHandle {
  /** Resolves once the feed reads its stream (rejects after `waitMs` when it cannot, e.g. no bus). */
  ready(waitMs: number): Promise<void>;
  /** The stream's creation time (valid once ready). */
  readonly epoch: number;
  /** The last sequence delivered before this listener joined: it gets every event after it (valid once ready). */
  readonly position: number;
  release(): void;
}

/** Event ids seen lately: a publish the stream stored again after its duplicate window is still dropped. */
class RecentIds {
  private readonly ring: string[] = [];
  private readonly set = new Set<string>();
  private next = 0;

  constructor(private readonly size: number) {}

  /** True when `id` was seen; remembers it otherwise. */
  seen(id: string): boolean {
    if (this.set.has(id)) return true;
    const old = this.ring[this.next];
    if (old !== undefined) this.set.delete(old);
    this.ring[this.next] = id;
    this.set.add(id);
    this.next = (this.next + 1) % this.size;
    return false;
  }
}

const RETRY_MIN_MS = 200;
const RETRY_MAX_MS = 5_000;
const RECENT_IDS = 4096;

/** One namespace's stream, read by one ordered consumer while this replica has a client in it. */
class NamespaceFeed {
  readonly listeners = new Map<LiveListener, { positionAtJoin: number | null }>();
  epoch = 0;
  /** Last sequence read. */
  position = 0;
  private startPosition = 0;
  private readonly readyPromise: Promise<void>;
  private markReady!: () => void;
  private isReady = false;
  private messages: ConsumerMessages | undefined;
  private stopped = false;
  private linger: NodeJS.Timeout | undefined;
  private readonly recent = new RecentIds(RECENT_IDS);

  constructor(
    private readonly ns: Namespace,
    private readonly js: JetStreamClient,
    private readonly streams: EventStreams,
    private readonly log: Logger,
  ) {
    this.readyPromise = new Promise((resolve) => (this.markReady = resolve));
    void this.run();
  }

  add(listener: LiveListener): FeedHandle {
    this.cancelLinger();
    const entry = { positionAtJoin: this.isReady ? this.position : null };
    this.listeners.set(listener, entry);
    const feed = this;
    return {
      ready: (waitMs) => feed.ready(waitMs),
      get epoch() {
        return feed.epoch;
      },
      get position() {
        return entry.positionAtJoin ?? feed.startPosition;
      },
      release: () => feed.remove(listener),
    };
  }

  ready(waitMs: number): Promise<void> {
    if (this.isReady) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('event stream not readable (is the bus away?)')), waitMs);
      void this.readyPromise.then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  remove(listener: LiveListener): void {
    this.listeners.delete(listener);
  }

  /** Once the last listener left: closes the feed (`onIdle`) unless one joins within `lingerMs`. */
  scheduleClose(lingerMs: number, onIdle: () => void): void {
    if (this.listeners.size > 0 || this.linger) return;
    this.linger = setTimeout(() => {
      this.linger = undefined;
      if (this.listeners.size === 0) onIdle();
    }, lingerMs);
    this.linger.unref();
  }

  private cancelLinger(): void {
    clearTimeout(this.linger);
    this.linger = undefined;
  }

  /**
   * Reads again from the last sequence this feed delivered, with a new consumer. After a
   * reconnect the client library's own recovery of an ordered consumer may restart from an
   * older sequence or stop pulling; our own cursor is the one to trust.
   */
  restart(): void {
    void this.messages?.close().catch(() => undefined);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelLinger();
    await this.messages?.close().catch(() => undefined);
  }

  /** Reads the stream from where it is (or was) until stopped; starts again after a failure. */
  private async run(): Promise<void> {
    let retryMs = RETRY_MIN_MS;
    while (!this.stopped) {
      let consumer: Consumer | undefined;
      try {
        if (!this.isReady) {
          const info = await this.streams.info(this.ns);
          this.epoch = Date.parse(info.created);
          this.position = this.startPosition = info.state.last_seq;
        } else {
          const info = await this.streams.info(this.ns);
          const epoch = Date.parse(info.created);
          if (epoch !== this.epoch) {
            // A stream made anew (a nats-server that lost its store): every event in it is new here.
            this.log.warn({ ns: this.ns, position: this.position }, 'namespace event stream made anew; reading it from its start');
            this.epoch = epoch;
            this.position = Math.max(0, info.state.first_seq - 1);
          } else if (info.state.last_seq < this.position) {
            // The stream ends before what was delivered (a nats-server that lost its last writes):
            // read from its end, or every new event would look already delivered and be skipped.
            this.log.warn({ ns: this.ns, position: this.position, lastSeq: info.state.last_seq }, 'namespace event stream behind its feed; reading from its end');
            this.position = info.state.last_seq;
          }
        }
        consumer = await this.js.consumers.get(eventStreamName(this.ns), { opt_start_seq: this.position + 1 });
        // Heartbeats every 2 s while idle: a feed whose stream leader went away (a NATS node lost)
        // sees two missed within 4 s and reads again from the new leader. The library's default
        // (half of a 30 s pull) would leave sockets and SSE without events for half a minute.
        const messages = await consumer.consume({ expires: 10_000, idle_heartbeat: 2_000 });
        this.messages = messages;
        void this.watch(messages);
        if (this.stopped) {
          await messages.close();
        } else {
          if (!this.isReady) {
            this.isReady = true;
            this.markReady();
          }
          retryMs = RETRY_MIN_MS;
          for await (const m of messages) this.deliver(m);
          retryMs = 0;
        }
      } catch (err) {
        if (!this.stopped) this.log.warn({ err, ns: this.ns }, 'namespace event feed failed; starting again');
      }
      // The server would keep a closed ordered consumer for minutes otherwise.
      await consumer?.delete().catch(() => undefined);
      if (this.stopped) break;
      await new Promise((r) => setTimeout(r, retryMs));
      retryMs = Math.min(Math.max(retryMs * 2, RETRY_MIN_MS), RETRY_MAX_MS);
    }
  }

  /** A consumer whose server went away stops sending heartbeats: read again with a new one. */
  private async watch(messages: ConsumerMessages): Promise<void> {
    try {
      for await (const s of messages.status()) {
        if (s.type === 'heartbeats_missed' && s.count >= 2 && this.messages === messages) this.restart();
      }
    } catch {
      // closed
    }
  }

  private deliver(m: JsMsg): void {
    // A consumer made again after a reconnect may start before where this one had read.
    if (m.seq <= this.position) return;
    this.position = m.seq;
    const msgId = m.headers?.get('Nats-Msg-Id');
    if (msgId && this.recent.seen(msgId)) return;
    const event = checkedPayload(m.subject, m.data, (b) => EntityEvent.decode(b), this.ns, this.log);
    if (!event) return;
    const live = new LiveEvent(this.ns, { epoch: this.epoch, seq: m.seq }, event);
    for (const listener of this.listeners.keys()) {
      try {
        listener(live);
      } catch (err) {
        this.log.warn({ err }, 'live listener failed');
      }
    }
  }
}

/**
 * The events of the namespaces this gateway replica has clients in, and only those: a
 * namespace's stream is read (one ordered consumer) from its first SSE stream or socket on this
 * replica until a little after its last one leaves. Each event is decoded once here and handed
 * to every listener (the SSE hub's streams, the room relay) as one shared `LiveEvent`.
 */
export class NamespaceFeeds {
  private readonly feeds = new Map<Namespace, NamespaceFeed>();
  private busUp = true;

  constructor(
    nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly streams: EventStreams,
    private readonly log: Logger,
    private readonly lingerMs = 10_000,
  ) {
    void (async () => {
      for await (const s of nc.status()) {
        if (s.type === 'disconnect') this.busUp = false;
        if (s.type === 'reconnect') {
          this.busUp = true;
          for (const feed of this.feeds.values()) feed.restart();
        }
      }
    })();
  }

  /** Adds a listener to the namespace's feed, opening the feed when it is the first. */
  subscribe(ns: Namespace, listener: LiveListener): FeedHandle {
    let feed = this.feeds.get(ns);
    if (!feed) {
      feed = new NamespaceFeed(ns, this.js, this.streams, this.log);
      this.feeds.set(ns, feed);
    }
    const handle = feed.add(listener);
    const owner = feed;
    return {
      ready: handle.ready,
      get epoch() {
        return handle.epoch;
      },
      get position() {
        return handle.position;
      },
      release: () => {
        handle.release();
        owner.scheduleClose(this.lingerMs, () => {
          if (this.feeds.get(ns) === owner) this.feeds.delete(ns);
          void owner.stop();
        });
      },
    };
  }

  /**
   * Opens the namespace's feed and waits (at most `waitMs`, not at all while the bus is away)
   * until it reads, so a client about to connect misses nothing.
   */
  async warm(ns: Namespace, waitMs: number): Promise<boolean> {
    const h = this.subscribe(ns, () => undefined);
    try {
      await h.ready(this.busUp ? waitMs : 0);
      return true;
    } catch {
      return false;
    } finally {
      h.release();
    }
  }

  /** Namespaces read now (tests and logs). */
  namespaces(): Namespace[] {
    return [...this.feeds.keys()];
  }

  async close(): Promise<void> {
    const all = [...this.feeds.values()];
    this.feeds.clear();
    await Promise.all(all.map((f) => f.stop()));
  }
}
