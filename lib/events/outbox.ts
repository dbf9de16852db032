import type { Namespace } from '../namespace.js';
import type { EventChange } from './entity-event.js';
import { writeContext } from '../tracing/nats.js';
import { encodeEntityEvent, type EncodedEvent, type EventMeta, type EventSink } from './publisher.js';

/**
 * The transactional outbox: a service stores each event beside the write that caused it, in its
 * own store, before the write is acknowledged; a relay in the same process (outbox-relay.ts)
 * publishes stored events to the bus in order and forgets them once JetStream has acked them.
 * So an acknowledged write's event reaches its subscribers even when the bus was away when the
 * write happened, and a write never waits on a bus that is not answering.
 */
export interface OutboxEntry extends EncodedEvent {
  /** The store's order of entries (SQLite's row sequence; Mongo's insertion time). */
  order: number;
}

/** How one gRPC call went inside a unit of work, and the events committed with it. */
export interface UnitOutcome<T> {
  result: PromiseSettledResult<T>;
  /**
   * Every entry the transaction committed, in order, for one call of it to hand to the relay
   * (empty for the others), so the relay gets them once and in commit order.
   */
  handOn: OutboxEntry[];
  /** The entries this call's request caused (its answer waits for them). */
  own: OutboxEntry[];
}

export interface EventOutbox {
  /**
   * Stores an event. Inside an open unit of work (SQLite) it joins that transaction and commits
   * with the write that caused it: returns null, and the unit hands it on after its commit.
   * Otherwise it is durable when this resolves (Mongo: a majority-acknowledged insert), and is
   * returned for the relay.
   */
  append(ev: EncodedEvent): Promise<OutboxEntry | null>;
  /**
   * Runs one call as a unit of work: SQLite runs it in a transaction, shared with the calls that
   * arrive together with it (one commit, one fsync for all), so its writes and its events commit
   * together or not at all; a store without transactions runs it as it is.
   */
  unitOfWork<T>(fn: () => Promise<T>, requestId: string): Promise<UnitOutcome<T>>;
  /**
   * Entries still to publish, oldest first: all of them at start; on a store several service
   * replicas share, those older than `olderThanMs` (another replica's, left by a crash or an outage).
   */
  unpublished(opts?: { olderThanMs?: number }): Promise<OutboxEntry[]>;
  /** True when several processes write this outbox (Mongo), so the relay also looks for others' leftovers. */
  readonly shared: boolean;
  /** Forgets entries JetStream has stored (or refused for good). */
  published(entries: OutboxEntry[]): Promise<void>;
  /** Last bookkeeping before the store closes. */
  close(): Promise<void>;
}

/** What a relay offers the sink: take committed entries, and wait (bounded) until they are on the bus. */
export interface EventRelay {
  enqueue(entries: OutboxEntry[]): void;
  settled(entries: OutboxEntry[]): Promise<void>;
}

/**
 * The sink the session and machine domains publish to: the event goes into the store's outbox
 * (inside the call's transaction where there is one), and the write's answer waits, bounded,
 * until the relay has it on the bus.
 */
export class OutboxSink implements EventSink {
  constructor(
    private readonly outbox: EventOutbox,
    private readonly relay: EventRelay,
    private readonly clock: () => number = Date.now,
  ) {}

  async publish(ns: Namespace, change: EventChange, meta: EventMeta): Promise<void> {
    const ev = encodeEntityEvent(ns, change, meta, this.clock());
    ev.traceContext = writeContext();
    const entry = await this.outbox.append(ev);
    if (!entry) return; // committed (and then published) with the call's unit of work
    this.relay.enqueue([entry]);
    await this.relay.settled([entry]);
  }
}

/**
 * Wraps every gRPC call of a service in the outbox's unit of work; after the commit, the events
 * go to the relay and a call's answer waits (bounded) for its own events to be on the bus (those
 * stamped with its request id; a read shares a transaction with writes but waits for none).
 */
export function outboxCalls(outbox: EventOutbox, relay: EventRelay): <T>(fn: () => Promise<T>, requestId: string) => Promise<T> {
  return async <T>(fn: () => Promise<T>, requestId: string): Promise<T> => {
    const { result, handOn, own } = await outbox.unitOfWork(fn, requestId);
    if (handOn.length > 0) relay.enqueue(handOn);
    if (result.status === 'fulfilled' && own.length > 0) await relay.settled(own);
    if (result.status === 'rejected') throw result.reason;
    return result.value;
  };
}
