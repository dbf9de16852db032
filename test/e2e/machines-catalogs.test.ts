import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { startHub, http, waitFor, MACHINE_METADATA, type Hub } from '../helpers/hub-harness.js';
import { FakeRunner, registerMachine, webToken } from '../helpers/hapi-runner.js';
import { openSse, type SseClient } from '../helpers/sse-client.js';

/**
 * What the new-session form asks a machine (agent availability, the model catalogs), the runner
 * restart and the Antigravity "models changed" announcement, with the runner's socket on one
 * gateway replica and the page on the other; bob's token on alice's machine is refused and no
 * RPC reaches her runner.
 */
describe('e2e machines: agent availability, catalogs, restart-runner across replicas', function () {
  this.timeout(90_000);
  let hub: Hub;
  let r1: string;
  let r2: string;
  let aliceJwt: string;
  let bobJwt: string;
  let runner: FakeRunner;
  let oldRunner: FakeRunner;
  let bobStream: SseClient;
  const mid = `m-alice-${randomUUID()}`;
  const oldMid = `m-alice-old-${randomUUID()}`;
  const capable = { ...MACHINE_METADATA, capabilities: ['agent-availability', 'stop-runner'], supervisedRestart: true };
  /** A model catalog larger than one NATS message (1 MB), as a runner with many providers answers. */
  const bigCatalog = { success: true, availableModels: Array.from({ length: 20_000 }, (_, i) => ({ modelId: `provider/model-${i}`, name: `Model number ${i} with a long display name` })) };

  const api = (url: string, method: string, path: string, token: string, body?: unknown) => http(url, method, path, { token, body, timeoutMs: 20_000 });

  before(async () => {
    hub = await startHub({ gateways: 2 });
    [r1, r2] = hub.urls as [string, string];
    const alice = `${hub.baseToken}:alice`;
    aliceJwt = await webToken(r1, alice);
    bobJwt = await webToken(r1, `${hub.baseToken}:bob`);
    expect((await registerMachine(r1, alice, mid, capable)).status).to.equal(200);
    expect((await registerMachine(r1, alice, oldMid, { ...MACHINE_METADATA, happyCliVersion: '0.20.0' })).status).to.equal(200);
    runner = await FakeRunner.connect(r1, alice, mid);
    runner.answer = (method, params) => {
      if (method.endsWith(':agent-availability')) return { agents: [{ agent: 'claude', available: true }, { agent: 'gemini', available: false, reason: 'not_found' }] };
      if (method.endsWith(':listCodexModels')) return bigCatalog;
      if (method.endsWith(':listOpencodeModelsForCwd')) return { success: true, availableModels: [{ modelId: `for ${(params as { cwd: string }).cwd}` }] };
      if (method.endsWith(':stop-runner')) return { message: 'Runner stop request acknowledged' };
      return { error: 'Method not found' };
    };
    runner.register('agent-availability', 'listCodexModels', 'listOpencodeModelsForCwd', 'stop-runner');
    runner.startHeartbeat(1000);
    oldRunner = await FakeRunner.connect(r1, alice, oldMid);
    oldRunner.register('agent-availability', 'stop-runner');
    oldRunner.startHeartbeat(1000);
    await waitFor(async () => ((await api(r2, 'GET', '/api/machines', aliceJwt)).json.machines as { id: string }[]).length === 2, { what: 'machines online' });
    bobStream = await openSse(r2, '/api/events?all=true', { token: bobJwt });
  });
  after(async () => {
    runner?.close();
    oldRunner?.close();
    bobStream?.close();
    await hub?.stop();
  });

  it('when alice asks replica 2 which agents the machine has, then the runner on replica 1 answers and the page gets it as is', async () => {
    const r = await api(r2, 'GET', `/api/machines/${mid}/agent-availability`, aliceJwt);
    expect(r.status, r.text).to.equal(200);
    expect(r.json).to.deep.equal({ agents: [{ agent: 'claude', available: true }, { agent: 'gemini', available: false, reason: 'not_found' }] });
    expect(runner.requests.at(-1)).to.deep.equal({ method: `${mid}:agent-availability`, params: {} });
  });

  it('when the runner is too old to say, then agent-availability is 409 and spawn answers runner_upgrade_required', async () => {
    const r = await api(r2, 'GET', `/api/machines/${oldMid}/agent-availability`, aliceJwt);
    expect(r.status).to.equal(409);
    expect(r.json).to.deep.equal({ error: 'This runner must be upgraded before creating sessions', code: 'runner_upgrade_required' });
    const s = await api(r2, 'POST', `/api/machines/${oldMid}/spawn`, aliceJwt, { directory: '/tmp/ws' });
    expect(s.json).to.deep.equal({ type: 'error', message: 'This runner must be upgraded before creating sessions', code: 'runner_upgrade_required' });
    expect(oldRunner.requests).to.deep.equal([]);
  });

  it('when a catalog is larger than one NATS message, then it still arrives whole across replicas', async () => {
    const r = await api(r2, 'GET', `/api/machines/${mid}/codex-models`, aliceJwt);
    expect(r.status).to.equal(200);
    expect(r.text.length).to.be.greaterThan(1024 * 1024);
    expect(r.json).to.deep.equal(bigCatalog);
  });

  it('when a catalog needs a directory, then cwd is required (400) and relayed when given; a method the runner lacks is HAPI\'s 503 or 500', async () => {
    const missing = await api(r2, 'GET', `/api/machines/${mid}/opencode-models?cwd=%20`, aliceJwt);
    expect(missing.status).to.equal(400);
    expect(missing.json).to.deep.equal({ success: false, error: 'cwd query parameter is required' });
    const ok = await api(r2, 'GET', `/api/machines/${mid}/opencode-models?cwd=/srv/app`, aliceJwt);
    expect(ok.json).to.deep.equal({ success: true, availableModels: [{ modelId: 'for /srv/app' }] });
    const pi = await api(r2, 'GET', `/api/machines/${mid}/pi-models`, aliceJwt);
    expect(pi.status).to.equal(503);
    expect(pi.json).to.deep.equal({ success: false, error: `RPC handler not registered: ${mid}:listPiModelsForMachine`, code: 'rpc_target_missing' });
    const cursor = await api(r2, 'GET', `/api/machines/${mid}/cursor-models`, aliceJwt);
    expect(cursor.status).to.equal(500);
    expect(cursor.json).to.deep.equal({ success: false, error: `RPC handler not registered: ${mid}:listCursorModels` });
  });

  it('when bob asks for alice\'s machine on any route, then 403 Machine access denied and her runner gets nothing', async () => {
    const before = runner.requests.length;
    for (const route of ['agent-availability', 'codex-models', 'opencode-models?cwd=/srv', 'agy-models', 'cursor-models']) {
      const r = await api(r2, 'GET', `/api/machines/${mid}/${route}`, bobJwt);
      expect(r.status, route).to.equal(403);
      expect(r.json, route).to.deep.equal({ error: 'Machine access denied' });
    }
    const restart = await api(r1, 'POST', `/api/machines/${mid}/restart-runner`, bobJwt);
    expect(restart.status).to.equal(403);
    expect(runner.requests.length).to.equal(before);
  });

  it('when alice restarts a supervised runner, then it is asked to stop; an unsupervised one is refused with 502', async () => {
    const r = await api(r2, 'POST', `/api/machines/${mid}/restart-runner`, aliceJwt);
    expect(r.status, r.text).to.equal(200);
    expect(r.json).to.deep.equal({ message: 'Runner stop requested; supervisor will relaunch' });
    expect(runner.requests.at(-1)).to.deep.equal({ method: `${mid}:stop-runner`, params: {} });
    const old = await api(r2, 'POST', `/api/machines/${oldMid}/restart-runner`, aliceJwt);
    expect(old.status).to.equal(502);
    expect(old.json.code).to.equal('restart_unsupported');
    expect(oldRunner.requests).to.deep.equal([]);
  });

  it('when the runner announces new Antigravity models, then alice\'s page on the other replica is told and bob\'s is not; bob cannot announce for her machine', async () => {
    const alice = await openSse(r2, `/api/events?machineId=${mid}`, { token: aliceJwt });
    try {
      await alice.waitFrame((f) => f.data?.type === 'connection-changed');
      runner.socket.emit('machine-agy-models-changed', { machineId: mid });
      const f = await alice.waitFrame((fr) => fr.data?.type === 'machine-agy-models-updated');
      expect(f.data).to.deep.equal({ type: 'machine-agy-models-updated', machineId: mid, namespace: 'alice' });
      const bobMid = `m-bob-${randomUUID()}`;
      expect((await registerMachine(r1, `${hub.baseToken}:bob`, bobMid)).status).to.equal(200);
      const bob = await FakeRunner.connect(r1, `${hub.baseToken}:bob`, bobMid);
      try {
        bob.socket.emit('machine-agy-models-changed', { machineId: mid });
        const refused = await waitFor(() => bob.errors.find((e) => e.id === mid) ?? null, { what: 'bob refused' });
        expect(refused).to.deep.equal({ message: 'machine access denied', code: 'access-denied', scope: 'machine', id: mid });
      } finally {
        bob.close();
      }
      // Alice's second announcement is the fence: bob's, had it passed, would have come first.
      runner.socket.emit('machine-agy-models-changed', { machineId: mid });
      await waitFor(() => alice.frames.filter((fr) => fr.data?.type === 'machine-agy-models-updated').length === 2, { what: 'second announcement' });
      expect(JSON.stringify(bobStream.frames)).to.not.include(mid);
    } finally {
      alice.close();
    }
  });
});
