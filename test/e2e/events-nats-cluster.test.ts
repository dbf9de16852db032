import { expect } from 'chai';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { eventStreamName } from '../../lib/events/stream.js';
import { parseNamespace } from '../../lib/namespace.js';
import { startHub, http, waitFor, webToken, createCliSession, type Hub } from '../helpers/hub-harness.js';
import { connectCli, type CliSocket } from '../helpers/cli-socket.js';
import { startNatsCluster, type NatsCluster } from '../helpers/nats-cluster.js';
import { openSse, type SseClient } from '../helpers/sse-client.js';

/**
 * The hub on a 3-node NATS JetStream cluster (TEAMHUB_NATS_URL lists all three,
 * TEAMHUB_NATS_REPLICAS=3): the node leading alice's event stream is SIGKILLed under a steady
 * write load. Nothing acknowledged is lost and nothing is delivered twice: the SSE stream and
 * the CLI socket that were open all along get every acknowledged write's event exactly once.
 */
describe('e2e events: a 3-node NATS cluster loses the leader of a namespace stream under load', function () {
  this.timeout(180_000);
  let cluster: NatsCluster;
  let hub: Hub;
  let nc: NatsConnection;
  let sid = '';
  let aliceJwt = '';
  let cli: CliSocket | undefined;
  let sse: SseClient | undefined;

  before(async () => {
    cluster = await startNatsCluster();
    nc = await connect({ servers: cluster.servers(), maxReconnectAttempts: -1, reconnectTimeWait: 250 });
    // JetStream answers once the three nodes have elected a meta leader.
    await waitFor(async () => (await jetstreamManager(nc)).getAccountInfo(), { timeoutMs: 30_000, intervalMs: 250, what: 'JetStream meta leader' });
    hub = await startHub({ natsServers: cluster.servers(), env: { TEAMHUB_NATS_REPLICAS: '3', TEAMHUB_SESSION_TIMEOUT_MS: '120000' } });
    const alice = `${hub.baseToken}:alice`;
    sid = (await createCliSession(hub.url, alice)).id;
    aliceJwt = await webToken(hub.url, alice);
    cli = await connectCli(hub.url, alice, { sessionId: sid });
    // HAPI takes web messages only for a live session: one heartbeat (the window is 120 s here).
    cli.socket.emit('session-alive', { sid, time: Date.now(), thinking: false });
    await waitFor(async () => (await http(hub.url, 'GET', `/api/sessions/${sid}`, { token: aliceJwt })).json.session.active === true, { what: 'active' });
    sse = await openSse(hub.url, '/api/events?all=true', { token: aliceJwt });
    await sse.waitFrame((f) => f.data?.type === 'connection-changed');
  });
  after(async () => {
    cli?.close();
    sse?.close();
    await hub?.stop();
    await nc?.close().catch(() => undefined);
    await cluster?.stop();
  });

  it('when the stream leader is killed, then every acknowledged write reaches SSE and the socket exactly once', async () => {
    const acked: string[] = [];
    let failed = 0;
    let stop = false;
    let n = 0;
    const load = (async () => {
      while (!stop) {
        const localId = `c-${++n}`;
        const r = await http(hub.url, 'POST', `/api/sessions/${sid}/messages`, { token: aliceJwt, body: { text: localId, localId }, timeoutMs: 10_000 }).then(
          (res) => res.status,
          () => 0,
        );
        if (r === 200) acked.push(localId);
        else {
          failed++;
          await new Promise((res) => setTimeout(res, 100));
        }
      }
    })();
    await waitFor(() => acked.length >= 30, { timeoutMs: 30_000, what: '30 writes before the kill' });
    const jsm = await jetstreamManager(nc);
    const stream = eventStreamName(parseNamespace('alice'));
    const info = await jsm.streams.info(stream);
    expect(info.config.num_replicas).to.equal(3);
    const leader = info.cluster!.leader!;
    await cluster.kill(leader);
    const killedAt = Date.now();
    const ackedAtKill = acked.length;
    await waitFor(() => acked.length >= ackedAtKill + 30 && Date.now() - killedAt > 3000, { timeoutMs: 60_000, what: '30 writes after the kill' });
    stop = true;
    await load;

    const seenBySse = () => sse!.events().filter((f) => f.data?.type === 'message-received').map((f) => f.data.message.localId as string);
    const seenByCli = () => cli!.events('update').filter((u) => u.body?.t === 'new-message').map((u) => u.body.message.localId as string);
    await waitFor(() => acked.every((id) => seenBySse().includes(id)) && acked.every((id) => seenByCli().includes(id)), {
      timeoutMs: 60_000,
      intervalMs: 200,
      what: 'every acknowledged write on SSE and the socket',
    });
    const fence = await http(hub.url, 'POST', `/api/sessions/${sid}/messages`, { token: aliceJwt, body: { text: 'fence', localId: 'fence' } });
    expect(fence.status).to.equal(200);
    await sse!.waitFrame((f) => f.data?.message?.localId === 'fence', 20_000);
    await cli!.waitEvent('update', (u) => u.body?.message?.localId === 'fence', 20_000);
    const sseIds = seenBySse().filter((id) => id !== 'fence');
    const cliIds = seenByCli().filter((id) => id !== 'fence');
    const after = await jsm.streams.info(stream);
    console.log(
      `      nats cluster: ${acked.length} writes acknowledged, ${failed} refused during failover; leader ${leader} -> ${after.cluster?.leader}; ` +
        `SSE ${acked.filter((id) => !sseIds.includes(id)).length} lost, ${sseIds.length - new Set(sseIds).size} duplicated; socket ${cliIds.length - new Set(cliIds).size} duplicated`,
    );
    expect(sseIds).to.deep.equal(acked);
    expect(cliIds).to.deep.equal(acked);
  });
});
