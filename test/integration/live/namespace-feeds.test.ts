import { expect } from 'chai';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { pino } from 'pino';
import { NamespaceFeeds } from '../../../gateway/live/namespace-feeds.js';
import type { LiveEvent } from '../../../gateway/live/live-event.js';
import { encodeEntityEvent } from '../../../lib/events/publisher.js';
import { EventStreams, eventsJetStream } from '../../../lib/events/stream.js';
import { parseNamespace } from '../../../lib/namespace.js';
import { TEST_EVENT_SETTINGS } from '../../helpers/event-pipeline.js';
import { startNats, type NatsServer } from '../../helpers/nats-server.js';
import { waitFor } from '../../helpers/ports.js';

const alice = parseNamespace('alice');
const log = pino({ level: 'silent' });
const removed = (id: string) => ({ $case: 'sessionRemoved' as const, sessionRemoved: { sessionId: id } });

describe("integration live: a gateway replica's namespace feed (real nats-server)", function () {
  this.timeout(60_000);
  let nats: NatsServer;
  let nc: NatsConnection;
  let feeds: NamespaceFeeds;

  beforeEach(async () => {
    nats = await startNats();
    nc = await connect({ servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    feeds = new NamespaceFeeds(nc, eventsJetStream(nc), await EventStreams.open(nc, TEST_EVENT_SETTINGS, log), log);
  });
  afterEach(async () => {
    await feeds?.close();
    await nc?.close();
    await nats?.stop();
  });

  /**
   * Publishes as a service's relay does: the stream made sure of first, the event id as
   * `Nats-Msg-Id`, tried again (same id, so stored once) until the server takes it.
   */
  async function publish(id: string): Promise<void> {
    const ev = encodeEntityEvent(alice, removed(id), { requestId: `req-${id}` }, Date.now());
    await waitFor(async () => {
      try {
        await (await EventStreams.open(nc, TEST_EVENT_SETTINGS, log)).ensure(alice);
        await eventsJetStream(nc).publish(ev.subject, ev.data, { msgID: ev.msgId, timeout: 2_000 });
        return true;
      } catch {
        return false;
      }
    }, { timeoutMs: 20_000, intervalMs: 200, what: `event ${id} published` });
  }

  it('when nats-server comes back without its store (the stream made anew), then the feed delivers the new stream from its start, under a new epoch', async () => {
    const got: LiveEvent[] = [];
    const handle = feeds.subscribe(alice, (ev) => got.push(ev));
    await handle.ready(10_000);
    for (const id of ['a1', 'a2', 'a3']) await publish(id);
    await waitFor(() => got.length === 3, { timeoutMs: 10_000, what: 'the first three events' });
    const firstEpoch = got[0]!.position.epoch;

    // The same port, an empty store: the stream and its sequence numbers start again at 1.
    const port = nats.port;
    await nats.stop('SIGKILL');
    nats = await startNats({ port });
    await publish('b1');
    await publish('b2');

    await waitFor(() => got.length === 5, { timeoutMs: 20_000, what: `the two events of the new stream (got ${got.length})` });
    const ids = got.map((e) => (e.event.change?.$case === 'sessionRemoved' ? e.event.change.sessionRemoved.sessionId : '?'));
    expect(ids).to.deep.equal(['a1', 'a2', 'a3', 'b1', 'b2']);
    expect(got.slice(3).map((e) => e.position.seq)).to.deep.equal([1, 2]);
    expect(got[3]!.position.epoch, 'events of the new stream carry its epoch').to.not.equal(firstEpoch);
    handle.release();
  });
});
