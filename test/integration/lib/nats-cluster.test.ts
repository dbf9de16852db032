import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { EventStreams, eventStreamName } from '../../../lib/events/stream.js';
import { TEST_EVENT_SETTINGS } from '../../helpers/event-pipeline.js';
import { connectNats, type NatsConnection } from '../../../lib/nats/connection.js';
import { entitySubject } from '../../../lib/nats/subjects.js';
import { createRootLogger } from '../../../lib/logger.js';
import type { Namespace } from '../../../lib/namespace.js';
import { LIVE_BUCKET, REPLICAS_BUCKET, ReplicaLeases } from '../../../gateway/live/replica-leases.js';
import { NOTIFY_COOLDOWN_BUCKET, NOTIFY_STATE_BUCKET, NotifyState } from '../../../services/notify/notify-state.js';
import { LEASES_BUCKET, openLeasesBucket } from '../../../services/notify/telegram/lease.js';
import { openStreamRegistry, SSE_STREAMS_BUCKET } from '../../../lib/nats/sse-stream-registry.js';
import { waitFor } from '../../helpers/ports.js';
import { startNatsCluster, type NatsCluster } from '../../helpers/nats-cluster.js';

describe('NATS: a 3-node JetStream cluster with credentials (real nats-servers)', function () {
  this.timeout(90_000);
  const log = createRootLogger('test', 'silent');
  const password = randomBytes(12).toString('hex');
  let cluster: NatsCluster;
  let nc: NatsConnection;
  const alice = 'alice' as Namespace;
  const servers = () => cluster.servers();

  before(async () => {
    cluster = await startNatsCluster({ password });
    nc = await connectNats({ natsServers: servers(), natsUser: 'teamhub', natsPassword: password }, 'cluster-test', log);
    // JetStream answers once the three nodes have elected a meta leader.
    await waitFor(async () => (await jetstreamManager(nc)).getAccountInfo(), { timeoutMs: 30_000, intervalMs: 250, what: 'JetStream meta leader' });
  });
  after(async () => {
    await nc?.close().catch(() => undefined);
    await cluster?.stop();
  });

  it('when a client has no or wrong credentials, then every server refuses it', async () => {
    for (const opts of [{}, { user: 'teamhub', pass: 'wrong' }]) {
      const err = await connect({ servers: servers(), ...opts, maxReconnectAttempts: 0 }).then(
        (c) => c.close().then(() => null),
        (e: Error) => e,
      );
      expect(err?.message ?? 'connected', JSON.stringify(opts)).to.match(/authorization/i);
    }
  });

  it("when a namespace's event stream and the KV buckets (the gateway's and the notify service's) are created with 3 replicas, then each has a copy on every node", async () => {
    await (await EventStreams.open(nc, { ...TEST_EVENT_SETTINGS, natsReplicas: 3 }, log)).ensure(alice);
    const leases = await ReplicaLeases.start(nc, 'replica-test', 5_000, async () => undefined, log, { replicas: 3 });
    await leases.close();
    await NotifyState.open(nc, 5_000, 3);
    await openLeasesBucket(nc, 5_000, 3);
    await openStreamRegistry(nc, 5_000, 3);
    const jsm = await jetstreamManager(nc);
    for (const stream of [eventStreamName(alice), `KV_${REPLICAS_BUCKET}`, `KV_${LIVE_BUCKET}`, `KV_${NOTIFY_STATE_BUCKET}`, `KV_${NOTIFY_COOLDOWN_BUCKET}`, `KV_${LEASES_BUCKET}`, `KV_${SSE_STREAMS_BUCKET}`]) {
      const info = await waitFor(async () => {
        const i = await jsm.streams.info(stream);
        return i.cluster?.leader && (i.cluster.replicas ?? []).length === 2 ? i : null;
      }, { timeoutMs: 15_000, intervalMs: 200, what: `${stream} on three nodes` });
      expect(info.config.num_replicas, stream).to.equal(3);
    }
  });

  it('when the stream leader is killed under a steady publish load, then no acknowledged event is lost and publishing carries on', async () => {
    const js = jetstream(nc, { timeout: 2_000 });
    const jsm = await jetstreamManager(nc);
    const leaderName = (await jsm.streams.info(eventStreamName(alice))).cluster!.leader!;
    const acked = new Set<string>();
    let failed = 0;
    let lastFailure = 'none';
    let stop = false;
    const load = (async () => {
      for (let i = 0; !stop; i++) {
        const id = `e${i}`;
        try {
          await js.publish(entitySubject(alice, 'session', id, 'upserted'), new TextEncoder().encode(id));
          acked.add(id);
        } catch (err) {
          // Not acknowledged (no stream leader yet): a client would try again after a pause; it
          // must not count as stored.
          failed += 1;
          lastFailure = String(err);
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    })();
    await waitFor(() => acked.size >= 50, { timeoutMs: 10_000, what: '50 acknowledged publishes' });
    await cluster.kill(leaderName);
    const killedAt = Date.now();
    const ackedAtKill = acked.size;
    const failedAtKill = failed;
    // What the load saw, in the message if it never recovers.
    const recovered = () => {
      if (acked.size >= ackedAtKill + 50) return true;
      throw new Error(`${acked.size - ackedAtKill} acknowledged and ${failed - failedAtKill} failed since the kill of ${leaderName}; the last failure: ${lastFailure}; the client on ${nc.getServer()}`);
    };
    await waitFor(recovered, { timeoutMs: 30_000, intervalMs: 100, what: '50 more acknowledged publishes after the kill' });
    stop = true;
    await load;

    const info = await jsm.streams.info(eventStreamName(alice));
    expect(info.cluster!.leader).to.not.equal(leaderName);
    // A consumer is placed by the cluster's meta leader, which may have been the killed node too:
    // until the survivors elect a new one, creating a consumer times out.
    const consumer = await waitFor(() => jetstream(nc).consumers.get(eventStreamName(alice)), { timeoutMs: 30_000, intervalMs: 250, what: 'a consumer on the surviving nodes' });
    const consumerAfterMs = Date.now() - killedAt;
    const stored = new Set<string>();
    const messages = await consumer.fetch({ max_messages: info.state.messages, expires: 5_000 });
    for await (const m of messages) {
      stored.add(new TextDecoder().decode(m.data));
      if (stored.size === info.state.messages) break;
    }
    const lost = [...acked].filter((id) => !stored.has(id));
    console.log(`      nats cluster: ${acked.size} publishes acknowledged, ${failed} failed during failover, ${lost.length} lost; leader ${leaderName} -> ${info.cluster!.leader}; a new consumer ${consumerAfterMs} ms after the kill`);
    expect(lost).to.deep.equal([]);
  });
});
