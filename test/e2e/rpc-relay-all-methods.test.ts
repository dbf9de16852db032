import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { startHub, waitFor, createCliSession, MACHINE_METADATA, http, type Hub } from '../helpers/hub-harness.js';
import { parseNamespace } from '../../lib/namespace.js';
import { requestRpc } from '../../lib/rpc/rpc-request.js';
import { RpcBlobs } from '../../lib/rpc/rpc-blobs.js';
import { MACHINE_RPC_METHODS, RPC_METHODS, SESSION_RPC_METHODS } from '../surface/hapi-rpc-methods.js';
import { StandIn } from '../surface/stand-ins.js';

/**
 * HAPI's 49 relayed RPC methods, each registered by the socket HAPI's CLI or runner registers it
 * from (session scope: the session's CLI; machine scope: the runner) and called the way every
 * gateway replica calls them (`requestRpc` on the hub's NATS, as the RPC router does for a
 * route), with the stand-ins' schema-valid answers. Another namespace reaches none of them.
 */
describe('e2e rpc relay: all 49 of HAPI\'s methods across replicas', function () {
  this.timeout(90_000);
  let hub: Hub;
  let nc: NatsConnection;
  let blobs: RpcBlobs;
  let cli: StandIn;
  let runner: StandIn;
  let sessionId: string;
  const machineId = `m-alice-${randomUUID()}`;
  const alice = parseNamespace('alice');
  const bob = parseNamespace('bob');

  before(async () => {
    hub = await startHub({ gateways: 2 });
    const aliceToken = `${hub.baseToken}:alice`;
    sessionId = (await createCliSession(hub.urls[0]!, aliceToken)).id;
    expect((await http(hub.urls[0]!, 'POST', '/cli/machines', { token: aliceToken, body: { id: machineId, metadata: MACHINE_METADATA } })).status).to.equal(200);
    // The CLI on replica 1, the runner on replica 2: each registers every method of its scope.
    cli = await StandIn.session(hub.urls[0]!, aliceToken, sessionId, { heartbeatMs: 0 });
    runner = await StandIn.machine(hub.urls[1]!, aliceToken, machineId, { heartbeatMs: 0 });
    nc = await connect({ servers: hub.natsUrl });
    blobs = await RpcBlobs.open(nc);
    // Registration is a socket event; the last one of each socket is routable once it answers.
    await waitFor(async () => {
      const last = await Promise.all([
        requestRpc(nc, alice, sessionId, SESSION_RPC_METHODS.at(-1)!.method, {}, 2000).then(() => true, () => false),
        requestRpc(nc, alice, machineId, MACHINE_RPC_METHODS.at(-1)!.method, {}, 2000).then(() => true, () => false),
      ]);
      return last.every(Boolean);
    }, { what: 'every method registered', timeoutMs: 15_000 });
  });
  after(async () => {
    cli?.close();
    runner?.close();
    await nc?.close();
    await hub?.stop();
  });

  it('when each of the 49 methods is called in alice\'s namespace, then the socket of its scope gets `<id>:<method>` with the params and its ack comes back', async () => {
    expect(RPC_METHODS).to.have.length(49);
    for (const spec of RPC_METHODS) {
      const target = spec.scope === 'session' ? cli : runner;
      const id = spec.scope === 'session' ? sessionId : machineId;
      const params = { probe: spec.method };
      const ack = await requestRpc(nc, alice, id, spec.method, params, 5000, blobs);
      const got = target.rpcs.at(-1)!;
      expect(got.fullMethod, spec.method).to.equal(`${id}:${spec.method}`);
      expect(got.params, spec.method).to.deep.equal(params);
      // The stand-in answers its canned ack (one that is null it sends as `{error}`, as a CLI
      // without that handler would); what it sent is what the caller must get back.
      expect(ack, spec.method).to.deep.equal(JSON.parse(JSON.stringify(spec.ack(params) ?? { error: 'Method not found' })));
    }
    expect(cli.rpcs.map((r) => r.method)).to.include.members(SESSION_RPC_METHODS.map((m) => m.method));
    expect(runner.rpcs.map((r) => r.method)).to.include.members(MACHINE_RPC_METHODS.map((m) => m.method));
  });

  it('when params and the answer are larger than one NATS message, then both arrive whole', async () => {
    const content = 'x'.repeat(3 * 1024 * 1024);
    cli.onRpc('readFile', (p: { path: string }) => ({ success: true, content: `${p.path}:${content}`, size: content.length, modified: 1 }));
    const ack = (await requestRpc(nc, alice, sessionId, 'readFile', { path: content.slice(0, 2 * 1024 * 1024) }, 10_000, blobs)) as { content: string };
    expect(ack.content.length).to.equal(2 * 1024 * 1024 + 1 + content.length);
  });

  it('when bob\'s namespace calls alice\'s ids, then no socket answers (rpc_target_missing) and hers receive nothing', async () => {
    const before = cli.rpcs.length + runner.rpcs.length;
    for (const [id, method] of [[sessionId, 'git-status'], [machineId, 'spawn-happy-session']] as const) {
      const err = await requestRpc(nc, bob, id, method, {}, 2000).then(() => null, (e: Error) => e);
      expect(err?.message).to.equal(`RPC handler not registered: ${id}:${method}`);
    }
    expect(cli.rpcs.length + runner.rpcs.length).to.equal(before);
  });

  it('when a session socket registers a machine method, or another session\'s, then it is refused and the call still reaches the runner', async () => {
    const other = await createCliSession(hub.urls[0]!, `${hub.baseToken}:alice`);
    const intruder = await StandIn.session(hub.urls[1]!, `${hub.baseToken}:alice`, other.id, { methods: [], heartbeatMs: 0 });
    try {
      intruder.registerRaw(`${machineId}:spawn-happy-session`);
      intruder.registerRaw(`${sessionId}:git-status`);
      await waitFor(() => intruder.events.filter((e) => e.event === 'error').length === 2, { what: 'two refusals' });
      expect(intruder.events.map((e) => (e.arg as { code: string }).code)).to.deep.equal(['access-denied', 'access-denied']);
      await requestRpc(nc, alice, machineId, 'spawn-happy-session', { directory: '/w' }, 5000);
      await requestRpc(nc, alice, sessionId, 'git-status', { cwd: '/w' }, 5000);
      expect(intruder.rpcs).to.deep.equal([]);
      expect(runner.rpcs.at(-1)!.fullMethod).to.equal(`${machineId}:spawn-happy-session`);
      expect(cli.rpcs.at(-1)!.fullMethod).to.equal(`${sessionId}:git-status`);
    } finally {
      intruder.close();
    }
  });
});
