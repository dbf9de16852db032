import { Binary, MongoServerError, type Collection, type Db } from 'mongodb';
import type { EncodedEvent } from '../events/publisher.js';
import type { EventOutbox, OutboxEntry, UnitOutcome } from '../events/outbox.js';
import { parseNamespace } from '../namespace.js';

interface OutboxDoc {
  /** The event id (`Nats-Msg-Id`). */
  _id: string;
  namespace: string;
  subject: string;
  data: Binary;
  /** Insertion time, the order events are published in after an outage. */
  at: number;
}

// Acknowledged by a majority, journaled: an event stored here survives a failover with its write.
const DURABLE = { writeConcern: { w: 'majority' as const, journal: true } };

/**
 * The outbox of a service's MongoDB database: a collection its replicas share. MongoDB here is
 * used without multi-document transactions, so an event is inserted right after its write and
 * before the write is acknowledged (a crash between the two loses that event, never an
 * acknowledged one's). Each replica publishes its own entries at once; entries older than the
 * relay's orphan age are published by whichever replica sweeps first (JetStream drops the
 * duplicates by their id).
 */
export class MongoOutbox implements EventOutbox {
  readonly shared = true;
  private lastAt = 0;

  private constructor(private readonly docs: Collection<OutboxDoc>) {}

  static async open(db: Db): Promise<MongoOutbox> {
    const docs = db.collection<OutboxDoc>('outbox', DURABLE);
    await docs.createIndex({ at: 1 }, { name: 'at' });
    return new MongoOutbox(docs);
  }

  async append(ev: EncodedEvent): Promise<OutboxEntry | null> {
    // Strictly increasing within this process, so this replica's own events keep their order.
    const at = Math.max(Date.now(), this.lastAt + 1);
    this.lastAt = at;
    try {
      await this.docs.insertOne({ _id: ev.msgId, namespace: ev.namespace, subject: ev.subject, data: new Binary(ev.data), at });
    } catch (err) {
      // An event whose id the caller fixed, stored before and not yet published: it is stored once.
      if (!(err instanceof MongoServerError && err.code === 11000)) throw err;
      const stored = await this.docs.findOne({ _id: ev.msgId });
      if (!stored) throw err; // published and forgotten meanwhile: JetStream drops it by its id
      return { ...ev, order: stored.at };
    }
    return { ...ev, order: at };
  }

  /** No transaction: each event is durable (and handed to the relay) as it is appended. */
  async unitOfWork<T>(fn: () => Promise<T>): Promise<UnitOutcome<T>> {
    const [result] = await Promise.allSettled([fn()]);
    return { result: result!, handOn: [], own: [] };
  }

  async unpublished(opts: { olderThanMs?: number } = {}): Promise<OutboxEntry[]> {
    const filter = opts.olderThanMs === undefined ? {} : { at: { $lt: Date.now() - opts.olderThanMs } };
    const docs = await this.docs.find(filter).sort({ at: 1, _id: 1 }).limit(10_000).toArray();
    return docs.map((d) => ({ order: d.at, msgId: d._id, namespace: parseNamespace(d.namespace), subject: d.subject, data: new Uint8Array(d.data.buffer) }));
  }

  async published(entries: OutboxEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await this.docs.deleteMany({ _id: { $in: entries.map((e) => e.msgId) } });
  }

  async close(): Promise<void> {}
}
