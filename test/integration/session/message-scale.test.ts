import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { readMessagesPage } from '../../../services/session/message-page.js';
import { MESSAGE_READS, SqliteSessionStore } from '../../../services/session/store-sqlite.js';
import type { Namespace } from '../../../lib/namespace.js';
import { sessionRecord } from './store-contract.js';

const MESSAGES = 500_000;
const alice = 'alice' as Namespace;
const bob = 'bob' as Namespace;

/** Median of `runs` timings of `fn`, in milliseconds. */
async function medianMs(fn: () => Promise<unknown>, runs = 5): Promise<number> {
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    await fn();
    t.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return t.sort((a, b) => a - b)[Math.floor(runs / 2)]!;
}

/**
 * One session with 500,000 messages (every 1000th still queued, a few scheduled) next to other
 * sessions and namespaces: each read of the cursor, the queue and the scheduler must be one
 * indexed range. The query plans are the assertion (deterministic); the timings are printed.
 */
describe('message reads on 500,000 messages of one session (SQLite)', function () {
  this.timeout(300_000);
  let dir: string;
  let store: SqliteSessionStore;
  let db: Database.Database;
  const session = sessionRecord(alice);

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'teamhub-scale-'));
    const file = path.join(dir, 'session.db');
    const setup = await SqliteSessionStore.open(file);
    await setup.insertSession(session);
    await setup.insertSession(sessionRecord(alice));
    await setup.insertSession(sessionRecord(bob));
    await setup.close();
    const raw = new Database(file);
    raw.pragma('journal_mode = WAL');
    const insert = raw.prepare(
      `INSERT INTO messages (id, namespace, sessionId, seq, createdAt, localId, contentJson, invokedAt, scheduledAt, deliveryState, deliveryMode, positionAt, dueAt)
       VALUES (@id, @namespace, @sessionId, @seq, @createdAt, @localId, @contentJson, @invokedAt, @scheduledAt, 'queued', NULL, @positionAt, @dueAt)`,
    );
    raw.transaction(() => {
      for (let seq = 1; seq <= MESSAGES; seq++) {
        const createdAt = 1_700_000_000_000 + seq * 10;
        const queued = seq % 1000 === 0;
        const scheduled = seq % 100_000 === 0;
        insert.run({
          id: `m${seq}`,
          namespace: alice,
          sessionId: session.id,
          seq,
          createdAt,
          localId: queued ? `l${seq}` : null,
          contentJson: `{"role":"agent","content":{"type":"text","text":"message ${seq}"}}`,
          invokedAt: queued ? null : createdAt,
          scheduledAt: scheduled ? createdAt + 1e12 : null,
          positionAt: createdAt,
          dueAt: scheduled ? createdAt + 1e12 : null,
        });
      }
      raw.prepare('UPDATE sessions SET lastMessageSeq = ? WHERE id = ?').run(MESSAGES, session.id);
    })();
    raw.close();
    store = await SqliteSessionStore.open(file);
    db = new Database(file, { readonly: true });
  });
  after(async () => {
    db?.close();
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('when every message read is planned, then each is an indexed search with no sort of its own and no scan', () => {
    const params = { ns: alice, sessionId: session.id, limit: 50, at: 1, seq: 1, afterAt: 1, afterSeq: 1, untilAt: 2, untilSeq: 2, now: 1, claimUntil: 1, token: 't' };
    const plans: Record<string, string[]> = {};
    for (const [name, sql] of Object.entries(MESSAGE_READS)) {
      const used = Object.fromEntries(Object.entries(params).filter(([k]) => sql.includes(`@${k}`)));
      plans[name] = (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(used) as { detail: string }[]).map((r) => r.detail);
    }
    for (const [name, lines] of Object.entries(plans)) {
      const text = lines.join(' | ');
      expect(text, `${name}: ${text}`).to.match(/USING (COVERING )?INDEX|USING INTEGER PRIMARY KEY|USING PRIMARY KEY/);
      expect(text, `${name} scans: ${text}`).to.not.match(/SCAN messages(?! USING)/);
      expect(text, `${name} sorts: ${text}`).to.not.match(/TEMP B-TREE/);
    }
    expect(plans.newest!.join(), 'the cursor walks its own index').to.include('messages_position');
    expect(plans.before!.join()).to.include('messages_position');
    expect(plans.after!.join()).to.include('messages_position');
    expect(plans.queued!.join(), 'queued messages have a partial index').to.include('messages_queued');
    expect(plans.nextDue!.join(), 'the scheduler reads only waiting messages').to.include('messages_due');
  });

  it('when the cursor, the backfill, the queue and the scheduler read, then they answer from the index (timings printed)', async () => {
    const middle = { at: 1_700_000_000_000 + 250_000 * 10, seq: 250_000 };
    const timings = {
      latest: await medianMs(() => readMessagesPage(store, alice, session.id, { limit: 50 })),
      before: await medianMs(() => readMessagesPage(store, alice, session.id, { limit: 50, before: middle })),
      after: await medianMs(() => readMessagesPage(store, alice, session.id, { limit: 200, after: middle })),
      backfill: await medianMs(() => store.deliverableMessages(alice, session.id, { afterSeq: 250_000, now: Date.now(), limit: 200, queuedOnly: false })),
      queued: await medianMs(() => store.queuedMessages(alice, session.id, 200)),
      nextDue: await medianMs(() => store.nextDueAt()),
      claimDue: await medianMs(() => store.claimDueScheduled(Date.now(), Date.now() + 1000, 'scale', 100)),
    };
    process.stdout.write(`      message reads on ${MESSAGES} messages, median of 5 (ms): ${JSON.stringify(Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, Number(v.toFixed(2))])))}\n`);
    const latest = await readMessagesPage(store, alice, session.id, { limit: 50 });
    // The 50 newest (one of them queued) plus the 200 most recent queued ones (every 1000th).
    const seqs = latest.messages.map((m) => m.seq);
    expect(seqs.slice(-50)).to.deep.equal(Array.from({ length: 50 }, (_, i) => MESSAGES - 49 + i));
    expect(seqs.slice(0, 199)).to.deep.equal(Array.from({ length: 199 }, (_, i) => 301_000 + i * 1000));
    expect(latest.messages.filter((m) => m.invokedAt === null)).to.have.length(200);
    expect(latest.snapshotHead).to.deep.equal({ at: 1_700_000_000_000 + MESSAGES * 10, seq: MESSAGES });
    const before = await readMessagesPage(store, alice, session.id, { limit: 50, before: middle });
    expect(before.messages.map((m) => m.seq)).to.deep.equal(Array.from({ length: 50 }, (_, i) => 249_950 + i));
    expect(before.hasMore).to.equal(true);
    expect(await store.nextDueAt()).to.equal(1_700_000_000_000 + 100_000 * 10 + 1e12);
    expect(await store.messagesBefore(bob, session.id, 50)).to.deep.equal([]);
  });
});
