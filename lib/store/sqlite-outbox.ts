import type { EncodedEvent } from '../events/publisher.js';
import type { EventOutbox, OutboxEntry, UnitOutcome } from '../events/outbox.js';
import { parseNamespace } from '../namespace.js';
import type { SqliteDb } from './sqlite.js';

// AUTOINCREMENT: a sequence is never reused after rows are deleted, so "published up to" stays true.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS outbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  msgId TEXT NOT NULL,
  namespace TEXT NOT NULL,
  subject TEXT NOT NULL,
  data BLOB NOT NULL
);
`;

/** How long after the last publish the published rows are deleted when no write comes to do it. */
const IDLE_CLEANUP_MS = 1_000;

interface Row {
  seq: number;
  msgId: string;
  namespace: string;
  subject: string;
  data: Buffer;
}

interface Call {
  fn: () => Promise<unknown>;
  requestId: string;
  resolve: (o: UnitOutcome<unknown>) => void;
  reject: (err: unknown) => void;
}

/**
 * The outbox of a service's SQLite file: a table beside the service's own, and the unit of work
 * that makes a call's writes and its events one transaction.
 *
 * Calls that arrive together share one transaction: the first opens it and runs at once, those
 * arriving meanwhile run in the next one. The store's methods are synchronous underneath, so a
 * call's writes all happen inside its transaction, and every call of a transaction is answered
 * only after its COMMIT (synchronous=FULL: one fsync for all of them). So an event is never
 * stored without its write or a write without its event, and concurrent writes cost one fsync
 * instead of one each (group commit).
 *
 * Published rows are deleted in the next transaction (no extra fsync), or after a second of quiet.
 */
export class SqliteOutbox implements EventOutbox {
  readonly shared = false;
  private open: { entries: OutboxEntry[] } | null = null;
  private readonly waiting: Call[] = [];
  private publishedUpTo = 0;
  /** Rows this process has published and not yet deleted. */
  private toDelete: number[] = [];
  private cleanup: NodeJS.Timeout | undefined;
  private readonly insert;
  private readonly remove;

  constructor(private readonly db: SqliteDb) {
    db.exec(SCHEMA);
    this.insert = db.prepare('INSERT INTO outbox (msgId, namespace, subject, data) VALUES (?, ?, ?, ?)');
    // By the rows' own sequences, not "up to": another process on the same file (a second replica,
    // as tests run one) may hold rows in between that it has not published yet.
    this.remove = db.prepare('DELETE FROM outbox WHERE seq IN (SELECT value FROM json_each(?))');
  }

  async append(ev: EncodedEvent): Promise<OutboxEntry | null> {
    const info = this.insert.run(ev.msgId, ev.namespace, ev.subject, Buffer.from(ev.data.buffer, ev.data.byteOffset, ev.data.byteLength));
    const entry: OutboxEntry = { ...ev, order: Number(info.lastInsertRowid) };
    if (this.open) {
      this.open.entries.push(entry);
      return null;
    }
    return entry;
  }

  unitOfWork<T>(fn: () => Promise<T>, requestId: string): Promise<UnitOutcome<T>> {
    return new Promise<UnitOutcome<T>>((resolve, reject) => {
      this.waiting.push({ fn, requestId, resolve: resolve as Call['resolve'], reject });
      if (!this.open) void this.runTransaction();
    });
  }

  private async runTransaction(): Promise<void> {
    const calls = this.waiting.splice(0);
    if (calls.length === 0) return;
    const tx = { entries: [] as OutboxEntry[] };
    try {
      this.db.exec('BEGIN IMMEDIATE');
    } catch (err) {
      for (const c of calls) c.reject(err);
      return this.next();
    }
    this.open = tx;
    this.deletePublished();
    const results = await Promise.allSettled(calls.map((c) => c.fn()));
    try {
      this.db.exec('COMMIT');
    } catch (err) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      this.open = null;
      for (const c of calls) c.reject(err);
      return this.next();
    }
    this.open = null;
    const byRequest = new Map<string | undefined, OutboxEntry[]>();
    for (const e of tx.entries) {
      const list = byRequest.get(e.requestId);
      if (list) list.push(e);
      else byRequest.set(e.requestId, [e]);
    }
    // The first call hands every entry on (so the relay has them before the others wait).
    calls.forEach((c, i) => c.resolve({ result: results[i]!, handOn: i === 0 ? tx.entries : [], own: byRequest.get(c.requestId) ?? [] }));
    return this.next();
  }

  private next(): void {
    if (this.waiting.length > 0) void this.runTransaction();
  }

  async unpublished(): Promise<OutboxEntry[]> {
    const rows = this.db.prepare('SELECT * FROM outbox WHERE seq > ? ORDER BY seq').all(this.publishedUpTo) as Row[];
    return rows.map((r) => ({ order: r.seq, msgId: r.msgId, namespace: parseNamespace(r.namespace), subject: r.subject, data: new Uint8Array(r.data) }));
  }

  async published(entries: OutboxEntry[]): Promise<void> {
    for (const e of entries) {
      if (e.order > this.publishedUpTo) this.publishedUpTo = e.order;
      this.toDelete.push(e.order);
    }
    if (this.cleanup) return;
    this.cleanup = setTimeout(() => {
      this.cleanup = undefined;
      if (!this.db.inTransaction && this.db.open) this.deletePublished();
    }, IDLE_CLEANUP_MS);
    this.cleanup.unref();
  }

  private deletePublished(): void {
    if (this.toDelete.length === 0) return;
    this.remove.run(JSON.stringify(this.toDelete));
    this.toDelete = [];
  }

  async close(): Promise<void> {
    clearTimeout(this.cleanup);
    this.cleanup = undefined;
    if (this.db.open && !this.db.inTransaction) this.deletePublished();
  }
}
