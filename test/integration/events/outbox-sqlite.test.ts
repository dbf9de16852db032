import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { EntityEvent } from '../../../lib/gen/teamhub/events/v1/events.js';
import { encodeEntityEvent } from '../../../lib/events/publisher.js';
import { eventStreamName } from '../../../lib/events/stream.js';
import type { EventPipeline } from '../../../lib/events/pipeline.js';
import { parseNamespace } from '../../../lib/namespace.js';
import { openSqlite, type SqliteDb } from '../../../lib/store/sqlite.js';
import { SqliteOutbox } from '../../../lib/store/sqlite-outbox.js';
import { SessionDomain } from '../../../services/session/domain.js';
import { SessionEvents } from '../../../services/session/events.js';
import { ScheduledDelivery } from '../../../services/session/scheduler.js';
import { SqliteSessionStore } from '../../../services/session/store-sqlite.js';
import { silentLog, testContext } from '../../unit/call-context.js';
import { startTestPipeline } from '../../helpers/event-pipeline.js';
import { startNats, type NatsServer } from '../../helpers/nats-server.js';
import { waitFor } from '../../helpers/ports.js';

const alice = parseNamespace('alice');
const change = (id: string) => ({ $case: 'sessionRemoved' as const, sessionRemoved: { sessionId: id } });

/** Every event in alice's stream, decoded: (subject, request id) in stream order. */
async function aliceStream(nc: NatsConnection): Promise<EntityEvent[]> {
  const jsm = await jetstreamManager(nc);
  const name = eventStreamName(alice);
  const info = await jsm.streams.info(name).catch(() => null);
  if (!info) return [];
  const out: EntityEvent[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
    const m = await jsm.streams.getMessage(name, { seq });
    if (m) out.push(EntityEvent.decode(m.data));
  }
  return out;
}

describe('integration events: the SQLite outbox and its relay (real nats-server)', function () {
  this.timeout(60_000);
  let dir: string;
  let nats: NatsServer;
  let nc: NatsConnection;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'teamhub-outbox-'));
    nats = await startNats();
    nc = await connect({ servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  });
  after(async () => {
    await nc?.close();
    await nats?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('when calls arrive together, then they share one transaction and each answer comes after its commit', async () => {
    const db: SqliteDb = openSqlite(path.join(dir, 'group.db'));
    const outbox = new SqliteOutbox(db);
    db.exec('CREATE TABLE items (n INTEGER)');
    const statements: string[] = [];
    const exec = db.exec.bind(db);
    db.exec = ((sql: string) => {
      statements.push(sql);
      return exec(sql);
    }) as typeof db.exec;
    const write = (n: number) =>
      outbox.unitOfWork(async () => {
        db.prepare('INSERT INTO items (n) VALUES (?)').run(n);
        await outbox.append(encodeEntityEvent(alice, change(`s${n}`), { requestId: `r${n}` }, n));
        // An answer given here would precede the commit; the unit of work holds it until after.
        return db.inTransaction;
      }, `r${n}`);
    const outcomes = await Promise.all([write(1), write(2), write(3), write(4)]);
    // The first call opened a transaction alone; the three arriving meanwhile shared the next one.
    expect(statements.filter((s) => s === 'COMMIT')).to.have.length(2);
    expect(outcomes.map((o) => o.result.status === 'fulfilled' && o.result.value)).to.deep.equal([true, true, true, true]);
    // One call of each transaction hands all its events on, in order; each call knows its own.
    expect(outcomes.map((o) => o.handOn.map((e) => e.order))).to.deep.equal([[1], [2, 3, 4], [], []]);
    expect(outcomes.map((o) => o.own.map((e) => e.order))).to.deep.equal([[1], [2], [3], [4]]);
    expect(db.inTransaction).to.equal(false);
    db.close();
  });

  it('when a call fails after writing, then what it wrote commits with its events, as a write without a unit of work would', async () => {
    const db = openSqlite(path.join(dir, 'fail.db'));
    const outbox = new SqliteOutbox(db);
    db.exec('CREATE TABLE items (n INTEGER)');
    const out = await outbox.unitOfWork(async () => {
      db.prepare('INSERT INTO items (n) VALUES (1)').run();
      await outbox.append(encodeEntityEvent(alice, change('s1'), { requestId: 'r1' }, 1));
      throw new Error('after the write');
    }, 'r1');
    expect(out.result.status).to.equal('rejected');
    expect(out.handOn).to.have.length(1);
    expect((db.prepare('SELECT COUNT(*) AS n FROM items').get() as { n: number }).n).to.equal(1);
    db.close();
  });

  it("when two processes share one file, then one's published rows are deleted and never the other's unpublished ones", async () => {
    const file = path.join(dir, 'two.db');
    const [dbA, dbB] = [openSqlite(file), openSqlite(file)];
    const [a, b] = [new SqliteOutbox(dbA), new SqliteOutbox(dbB)];
    const entryB = await b.append(encodeEntityEvent(alice, change('b1'), { requestId: 'req-b' }, 1));
    const entryA = await a.append(encodeEntityEvent(alice, change('a1'), { requestId: 'req-a' }, 2));
    expect(entryA!.order).to.be.greaterThan(entryB!.order);
    await a.published([entryA!]);
    await a.close(); // deletes what a published
    // b dies before publishing its row: the next start on the file still finds it.
    dbB.close();
    const next = new SqliteOutbox(dbA);
    expect((await next.unpublished()).map((e) => e.msgId)).to.deep.equal([entryB!.msgId]);
    dbA.close();
  });

  it('when the service stops before its events were published, then the next start publishes them once each, in order', async () => {
    const file = path.join(dir, 'restart.db');
    const first = await SqliteSessionStore.open(file);
    const domain = new SessionDomain(first, new SessionEvents({ publish: (ns, c, meta) => first.outbox.append(encodeEntityEvent(ns, c, meta, 1)).then(() => undefined) }));
    const sid = (await domain.createOrLoad(testContext('alice', 'req-create'), { tag: 't1' })).session.id;
    for (let i = 0; i < 3; i++) await domain.appendMessage(testContext('alice', `req-m${i}`), { sessionId: sid, contentJson: `{"n":${i}}`, invoked: false });
    await first.close(); // no relay ran: all five events are still in the outbox

    const again = await SqliteSessionStore.open(file);
    const pipeline = await startTestPipeline(nc, again.outbox);
    await waitFor(() => pipeline.relay.backlog === 0, { what: 'backlog published' });
    // A crash before the relay's bookkeeping was written: the same entries are found once more.
    await pipeline.relay.close();
    const backlog = await again.outbox.unpublished();
    expect(backlog.length).to.be.at.most(5);
    const third: EventPipeline = await startTestPipeline(nc, again.outbox);
    await waitFor(() => third.relay.backlog === 0);
    const stream = await aliceStream(nc);
    // The first message also turns the session into one with content (a session update before it).
    expect(stream.map((e) => `${e.requestId} ${e.change?.$case}`)).to.deep.equal([
      'req-create sessionUpserted',
      'req-m0 sessionUpserted',
      'req-m0 messageAppended',
      'req-m1 messageAppended',
      'req-m2 messageAppended',
    ]);
    await third.close();
    expect(await again.outbox.unpublished(), 'published rows are deleted at shutdown').to.deep.equal([]);
    await again.close();
  });

  it('when NATS is away, then writes return at once and their events reach the stream once each when it is back', async () => {
    const store = await SqliteSessionStore.open(path.join(dir, 'outage.db'));
    const pipeline = await startTestPipeline(nc, store.outbox, { eventAckWaitMs: 5000 });
    const domain = new SessionDomain(store, new SessionEvents(pipeline.sink));
    // As the gRPC server runs each call: in the outbox's unit of work, with its request id.
    const call = <T>(requestId: string, fn: (ctx: ReturnType<typeof testContext>) => Promise<T>) => pipeline.aroundCall(() => fn(testContext('alice', requestId)), requestId);
    const sid = (await call('req-o-create', (ctx) => domain.createOrLoad(ctx, { tag: 'outage' }))).session.id;
    await waitFor(async () => (await aliceStream(nc)).some((e) => e.requestId === 'req-o-create'));

    await nats.stop('SIGKILL');
    const slowest = { ms: 0 };
    for (let i = 0; i < 20; i++) {
      const started = Date.now();
      await call(`req-o${i}`, (ctx) => domain.appendMessage(ctx, { sessionId: sid, contentJson: `{"i":${i}}`, invoked: false }));
      slowest.ms = Math.max(slowest.ms, Date.now() - started);
    }
    // The first write may still meet the connection before it noticed the server is gone.
    expect(slowest.ms, 'a write while the bus is away').to.be.lessThan(1500);
    // 21 events: the first message also updates the session (it now has content).
    expect(pipeline.relay.backlog).to.equal(21);

    nats = await startNats({ port: nats.port, storeDir: nats.storeDir });
    await waitFor(() => pipeline.relay.backlog === 0, { timeoutMs: 20_000, what: 'backlog published after the bus came back' });
    const events = (await aliceStream(nc)).filter((e) => e.requestId.startsWith('req-o')).map((e) => `${e.requestId} ${e.change?.$case}`);
    expect(events).to.deep.equal([
      'req-o-create sessionUpserted',
      'req-o0 sessionUpserted',
      ...Array.from({ length: 20 }, (_, i) => `req-o${i} messageAppended`),
    ]);
    await pipeline.close();
    await store.close();
  });
  it('when a scheduled message falls due while NATS is away, then its event commits with its release and reaches the stream once when the bus is back', async () => {
    const store = await SqliteSessionStore.open(path.join(dir, 'scheduled.db'));
    const pipeline = await startTestPipeline(nc, store.outbox, { eventAckWaitMs: 5000 });
    let now = 1_000_000;
    const clock = () => now;
    const events = new SessionEvents(pipeline.sink);
    const domain = new SessionDomain(store, events, clock);
    // As main.ts composes it: the scheduler's rounds run in the outbox's unit of work.
    const scheduler = new ScheduledDelivery(store, events, { pollMs: 60_000, claimMs: 30_000, log: silentLog, clock, unitOfWork: pipeline.aroundCall });
    const call = <T>(requestId: string, fn: (ctx: ReturnType<typeof testContext>) => Promise<T>) => pipeline.aroundCall(() => fn(testContext('alice', requestId)), requestId);
    const sid = (await call('req-s-create', (ctx) => domain.createOrLoad(ctx, { tag: 'scheduled' }))).session.id;
    const content = JSON.stringify({ role: 'user', content: { type: 'text', text: 'later' } });
    const message = (await call('req-s-post', (ctx) => domain.appendMessage(ctx, { sessionId: sid, contentJson: content, localId: 'l1', invoked: false, scheduledAt: now + 60_000 }))).message;
    await waitFor(() => pipeline.relay.backlog === 0, { what: 'the writes published' });

    await nats.stop('SIGKILL');
    now += 61_000;
    const statements: string[] = [];
    const db = store.connection;
    const exec = db.exec.bind(db);
    db.exec = ((sql: string) => {
      statements.push(sql);
      return exec(sql);
    }) as typeof db.exec;
    const started = Date.now();
    expect(await scheduler.deliverDue()).to.equal(1);
    db.exec = exec;
    expect(Date.now() - started, 'a delivery while the bus is away').to.be.lessThan(1500);
    // The claim, the event and the release: one transaction.
    expect(statements).to.deep.equal(['BEGIN IMMEDIATE', 'COMMIT']);
    expect(await store.nextDueAt(), 'released').to.equal(null);
    const waiting = (await store.outbox.unpublished()).map((e) => EntityEvent.decode(e.data).change?.$case);
    expect(waiting).to.deep.equal(['scheduledMessageMatured']);

    nats = await startNats({ port: nats.port, storeDir: nats.storeDir });
    await waitFor(() => pipeline.relay.backlog === 0, { timeoutMs: 20_000, what: 'backlog published after the bus came back' });
    const matured = (await aliceStream(nc)).filter((e) => e.change?.$case === 'scheduledMessageMatured');
    expect(matured).to.have.length(1);
    expect(matured[0]!.change?.$case === 'scheduledMessageMatured' && matured[0]!.change.scheduledMessageMatured.message?.id).to.equal(message.id);
    expect(await scheduler.deliverDue(), 'never due again').to.equal(0);
    await pipeline.close();
    await store.close();
  });
});
