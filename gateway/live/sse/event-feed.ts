import { jetstream, jetstreamManager, type ConsumerMessages, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { EVENTS_STREAM, ensureEventStream } from '../../../lib/events/stream.js';
import type { Logger } from '../../../lib/logger.js';

export interface FeedEvent {
  seq: number;
  subject: string;
  data: Uint8Array;
}

export type FeedListener = (ev: FeedEvent) => void;

/**
 * One ordered JetStream consumer per gateway replica over the events stream, fanned out to this
 * replica's SSE connections in stream order. (NATS 2.9 refuses a consumer filter that spans the
 * stream's three subject patterns, so namespace filtering happens per connection, on the
 * subject and on the payload.)
 */
export class EventFeed {
  private readonly listeners = new Set<FeedListener>();
  private messages: ConsumerMessages | undefined;
  private closed = false;

  private constructor(
    readonly jsm: JetStreamManager,
    private readonly log: Logger,
  ) {}

  static async start(nc: NatsConnection, log: Logger): Promise<EventFeed> {
    await ensureEventStream(nc);
    const jsm = await jetstreamManager(nc);
    const feed = new EventFeed(jsm, log);
    const info = await jsm.streams.info(EVENTS_STREAM);
    const consumer = await jetstream(nc).consumers.get(EVENTS_STREAM, { opt_start_seq: info.state.last_seq + 1 });
    feed.messages = await consumer.consume();
    void feed.pump();
    return feed;
  }

  private async pump(): Promise<void> {
    try {
      for await (const m of this.messages!) {
        const ev: FeedEvent = { seq: m.seq, subject: m.subject, data: m.data };
        for (const l of this.listeners) {
          try {
            l(ev);
          } catch (err) {
            this.log.warn({ err }, 'sse listener failed');
          }
        }
      }
    } catch (err) {
      if (!this.closed) this.log.error({ err }, 'event feed stopped');
    }
  }

  /** The stream's retained range now. */
  async bounds(): Promise<{ first: number; last: number }> {
    const info = await this.jsm.streams.info(EVENTS_STREAM);
    return { first: info.state.first_seq, last: info.state.last_seq };
  }

  add(l: FeedListener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
    await this.messages?.close();
  }
}
