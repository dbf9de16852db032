import { expect } from 'chai';
import { pino } from 'pino';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { EntityEvent } from '../../../lib/gen/teamhub/events/v1/events.js';
import { OutboxRelay } from '../../../lib/events/outbox-relay.js';
import { OutboxSink } from '../../../lib/events/outbox.js';
import { encodeEntityEvent } from '../../../lib/events/publisher.js';
import { EventStreams, eventStreamName, eventsJetStream } from '../../../lib/events/stream.js';
import { parseNamespace } from '../../../lib/namespace.js';
import { connectMongo } from '../../../lib/store/mongo.js';
import { MongoOutbox } from '../../../lib/store/mongo-outbox.js';
import { TEST_EVENT_SETTINGS } from '../../helpers/event-pipeline.js';
import { startMongo, type MongoServer } from '../../helpers/mongo-server.js';
import { startNats, type NatsServer } from '../../helpers/nats-server.js';
import { waitFor } from '../../helpers/ports.js';

const bob = parseNamespace('bob');
const log = pino({ level: 'silent' });
const removed = (id: string) => ({ $case: 'sessionRemoved' as const, sessionRemoved: { sessionId: id } });

describe('integration events: the MongoDB outbox shared by service replicas (jongodb, real nats-server)', function () {
  this.timeout(60_000);
  let mongo: MongoServer;
  let nats: NatsServer;
  let nc: NatsConnection;
  const closers: Array<() => Promise<void>> = [];

  before(async () => {
    [mongo, nats] = await Promise.all([startMongo(), startNats()]);
    nc = await connect({ servers: nats.url });
  });
  after(async () => {
    for (const c of closers.reverse()) await c();
    await nc?.close();
    await Promise.all([mongo?.stop(), nats?.stop()]);
  });

  const openOutbox = async (dbName: string) => {
    const { client, db } = await connectMongo(mongo.url, dbName);
    closers.push(() => client.close());
    return MongoOutbox.open(db);
  };
  const startRelay = async (outbox: MongoOutbox, orphanAfterMs: number) => {
    const relay = await OutboxRelay.start({
      outbox,
      nc,
      js: eventsJetStream(nc),
      streams: await EventStreams.open(nc, TEST_EVENT_SETTINGS, log),
      log,
      ackWaitMs: 1000,
      sweepMs: 100,
      orphanAfterMs,
    });
    closers.push(() => relay.close());
    return relay;
  };
  const bobStream = async () => {
    const jsm = (await EventStreams.open(nc, TEST_EVENT_SETTINGS, log)).jsm;
    const info = await jsm.streams.info(eventStreamName(bob));
    const out: string[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
      const m = await jsm.streams.getMessage(eventStreamName(bob), { seq });
      if (m) out.push(EntityEvent.decode(m.data).requestId);
    }
    return out;
  };

  it("when a replica publishes through the outbox, then the event is in the stream and gone from the collection", async () => {
    const outbox = await openOutbox(mongo.freshDbName());
    const relay = await startRelay(outbox, 60_000);
    await new OutboxSink(outbox, relay).publish(bob, removed('s1'), { requestId: 'req-own' });
    expect(await bobStream()).to.include('req-own');
    await waitFor(async () => (await outbox.unpublished()).length === 0, { what: 'entry forgotten' });
  });

  it("when a replica died after storing events, then another replica's sweep publishes them, once each, in order", async () => {
    const dbName = mongo.freshDbName();
    const survivors = [await openOutbox(dbName), await openOutbox(dbName)];
    await Promise.all(survivors.map((o) => startRelay(o, 200)));
    // A third replica stores three events and dies before its relay publishes them.
    const dead = await openOutbox(dbName);
    for (const n of [1, 2, 3]) await dead.append(encodeEntityEvent(bob, removed(`o${n}`), { requestId: `req-orphan-${n}` }, n));
    await waitFor(async () => (await dead.unpublished()).length === 0, { timeoutMs: 10_000, what: 'orphans published' });
    // Both survivors may have swept the same entries: JetStream kept each id once.
    expect((await bobStream()).filter((r) => r.startsWith('req-orphan'))).to.deep.equal(['req-orphan-1', 'req-orphan-2', 'req-orphan-3']);
  });
  it('when an event with a fixed id is stored again before it was published, then it is stored and published once', async () => {
    const outbox = await openOutbox(mongo.freshDbName());
    const meta = { requestId: 'req-fixed', eventId: `fixed-${mongo.freshDbName()}` };
    const first = await outbox.append(encodeEntityEvent(bob, removed('f1'), meta, 1));
    // A retried delivery (its claim ran out after a crash) produces the same event again.
    const again = await outbox.append(encodeEntityEvent(bob, removed('f1'), { ...meta, requestId: 'req-fixed-again' }, 2));
    expect(again?.order).to.equal(first?.order);
    expect((await outbox.unpublished()).map((e) => e.msgId)).to.deep.equal([meta.eventId]);
    const relay = await startRelay(outbox, 60_000);
    await waitFor(async () => (await outbox.unpublished()).length === 0, { what: 'published' });
    // Published after it was forgotten here: JetStream drops it by its id.
    await new OutboxSink(outbox, relay).publish(bob, removed('f1'), { ...meta, requestId: 'req-fixed-late' });
    await waitFor(async () => relay.backlog === 0 && (await outbox.unpublished()).length === 0, { what: 'late copy settled' });
    expect((await bobStream()).filter((r) => r.startsWith('req-fixed'))).to.deep.equal(['req-fixed']);
    expect(relay.stats.duplicates).to.equal(1);
  });
});
