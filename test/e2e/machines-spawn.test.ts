import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { startHub, http, waitFor, MACHINE_METADATA, type Hub } from '../helpers/hub-harness.js';
import { FakeRunner, registerMachine, webToken } from '../helpers/hapi-runner.js';

/**
 * Remote spawn through two gateway replicas with a socket.io-client acting as the runner
 * (the web's spawn, directory and path calls, answered as the reference hub does): routing,
 * namespace isolation, relays and PATCH.
 */
describe('e2e machines: runner sockets, spawn across replicas, isolation', function () {
  this.timeout(90_000);
  let hub: Hub;
  let aliceJwt: string;
  let bobJwt: string;
  let runner: FakeRunner;
  let bobRunner: FakeRunner | undefined;
  const mid = `m-alice-${randomUUID()}`;
  const bobMid = `m-bob-${randomUUID()}`;

  before(async () => {
    hub = await startHub({ gateways: 2, env: { TEAMHUB_SWEEP_INTERVAL_MS: '200' } });
    aliceJwt = await webToken(hub.url, `${hub.baseToken}:alice`);
    bobJwt = await webToken(hub.urls[1]!, `${hub.baseToken}:bob`);
    // A current runner advertises agent-availability (HAPI refuses to spawn on one that does not).
    expect((await registerMachine(hub.url, `${hub.baseToken}:alice`, mid, { ...MACHINE_METADATA, capabilities: ['agent-availability'] })).status).to.equal(200);
    expect((await registerMachine(hub.url, `${hub.baseToken}:bob`, bobMid)).status).to.equal(200);
    runner = await FakeRunner.connect(hub.urls[0]!, `${hub.baseToken}:alice`, mid);
    runner.register('spawn-happy-session', 'list-directory', 'path-exists');
  });
  after(async () => {
    runner?.close();
    bobRunner?.close();
    await hub?.stop();
  });

  const api = (i: number, method: string, path: string, token: string, body?: unknown) => http(hub.urls[i]!, method, path, { token, body });
  const listed = async (i: number, token: string) => ((await api(i, 'GET', '/api/machines', token)).json.machines as { id: string }[]).map((m) => m.id);

  it('when the runner is connected but has sent no machine-alive, then it is not listed', async () => {
    expect(await listed(1, aliceJwt)).to.not.include(mid);
  });

  it('when the runner sends machine-alive, then alice (on either replica) lists it online in HAPI shape, bob does not', async () => {
    runner.startHeartbeat(500);
    await waitFor(async () => (await listed(1, aliceJwt)).includes(mid), { timeoutMs: 10_000, what: 'machine listed on replica 2' });
    const r = await api(0, 'GET', '/api/machines', aliceJwt);
    const m = (r.json.machines as Record<string, unknown>[]).find((x) => x.id === mid)!;
    expect(Object.keys(m)).to.deep.equal([
      'id', 'namespace', 'seq', 'createdAt', 'updatedAt', 'active', 'activeAt', 'metadata', 'metadataVersion', 'runnerState', 'runnerStateVersion', 'health',
    ]);
    expect(m).to.include({ namespace: 'alice', active: true });
    expect(await listed(0, bobJwt)).to.deep.equal([]);
    expect(await listed(1, bobJwt)).to.deep.equal([]);
  });

  it('when machine-update-state is sent, then the ack is HAPI CAS shape and a stale version mismatches', async () => {
    const ok = await runner.updateState(1, { status: 'running', pid: 1 });
    expect(ok).to.deep.equal({ result: 'success', version: 2, runnerState: { status: 'running', pid: 1 } });
    const stale = await runner.updateState(1, { status: 'x' });
    expect(stale).to.deep.equal({ result: 'version-mismatch', version: 2, runnerState: { status: 'running', pid: 1 } });
  });

  it('when alice spawns on replica 2, then the request reaches the runner on replica 1 and its ack comes back normalised', async () => {
    runner.answer = () => ({ type: 'error', errorMessage: 'claude is not installed or is not on PATH', code: 'agent_unavailable', agent: 'claude' });
    const r = await api(1, 'POST', `/api/machines/${mid}/spawn`, aliceJwt, { directory: '/tmp/ws-alice', agent: 'claude' });
    expect(r.status).to.equal(200);
    expect(r.text).to.equal('{"type":"error","message":"claude is not installed or is not on PATH","code":"agent_unavailable","agent":"claude"}');
    const req = runner.requests.at(-1)!;
    expect(req.method).to.equal(`${mid}:spawn-happy-session`);
    expect(req.params).to.deep.equal({ type: 'spawn-in-directory', directory: '/tmp/ws-alice', agent: 'claude', forkSession: false });
  });

  it('when the runner answers success, then alice gets {type:success, sessionId}', async () => {
    runner.answer = () => ({ type: 'success', sessionId: 'sid-1' });
    const r = await api(1, 'POST', `/api/machines/${mid}/spawn`, aliceJwt, { directory: '/tmp/ws-alice' });
    expect(r.status).to.equal(200);
    expect(r.text).to.equal('{"type":"success","sessionId":"sid-1"}');
  });

  it('when the spawn body is invalid, then 400 Invalid body and nothing reaches the runner', async () => {
    const before = runner.requests.length;
    const r = await api(0, 'POST', `/api/machines/${mid}/spawn`, aliceJwt, { agent: 'claude' });
    expect(r.status).to.equal(400);
    expect(r.text).to.equal('{"error":"Invalid body"}');
    expect(runner.requests.length).to.equal(before);
  });

  it('when bob spawns on alice\'s machine or an unknown one, then 403 Machine access denied / 404 Machine not found', async () => {
    const before = runner.requests.length;
    const denied = await api(1, 'POST', `/api/machines/${mid}/spawn`, bobJwt, { directory: '/tmp/ws-alice' });
    expect(denied.status).to.equal(403);
    expect(denied.text).to.equal('{"error":"Machine access denied"}');
    const unknown = await api(1, 'POST', '/api/machines/no-such-machine/spawn', aliceJwt, { directory: '/tmp' });
    expect(unknown.status).to.equal(404);
    expect(unknown.text).to.equal('{"error":"Machine not found"}');
    const noAuth = await http(hub.url, 'POST', `/api/machines/${mid}/spawn`, { body: { directory: '/tmp' } });
    expect(noAuth.status).to.equal(401);
    expect(runner.requests.length).to.equal(before);
  });

  it('when bob\'s socket registers alice\'s spawn method, then it gets an error event and alice\'s spawns still reach alice\'s runner', async () => {
    bobRunner = await FakeRunner.connect(hub.urls[1]!, `${hub.baseToken}:bob`, bobMid);
    bobRunner.answer = () => ({ type: 'success', sessionId: 'stolen' });
    bobRunner.registerRaw(`${mid}:spawn-happy-session`);
    await waitFor(() => bobRunner!.errors.length > 0, { timeoutMs: 5000, what: 'error event for bob' });
    expect(bobRunner.errors[0]).to.include({ code: 'access-denied' });
    runner.answer = () => ({ type: 'success', sessionId: 'from-alice-runner' });
    for (let i = 0; i < 3; i++) {
      const r = await api(i % 2, 'POST', `/api/machines/${mid}/spawn`, aliceJwt, { directory: '/tmp/ws-alice' });
      expect(r.json).to.deep.equal({ type: 'success', sessionId: 'from-alice-runner' });
    }
    expect(bobRunner.requests).to.deep.equal([]);
  });

  it('when bob\'s socket sends machine-alive or update-state for alice\'s machine, then it is refused', async () => {
    const errorsBefore = bobRunner!.errors.length;
    bobRunner!.alive(mid);
    await waitFor(() => bobRunner!.errors.length > errorsBefore, { timeoutMs: 5000, what: 'error event' });
    expect(bobRunner!.errors.at(-1)).to.deep.equal({ message: 'machine access denied', code: 'access-denied', scope: 'machine', id: mid });
    expect(await bobRunner!.updateState(2, { status: 'hijacked' }, mid)).to.deep.equal({ result: 'error', reason: 'access-denied' });
    expect(await listed(0, bobJwt)).to.deep.equal([]);
  });

  it('when alice lists a directory or checks paths, then the runner\'s ack is relayed; bob gets 403', async () => {
    runner.answer = (method, params) =>
      method.endsWith(':list-directory') ? { success: true, entries: [{ name: 'a', type: 'file' }], echo: params } : { exists: { '/a': true, '/b': false } };
    const dir = await api(1, 'POST', `/api/machines/${mid}/list-directory`, aliceJwt, { path: '/tmp/ws-alice' });
    expect(dir.json).to.deep.equal({ success: true, entries: [{ name: 'a', type: 'file' }], echo: { path: '/tmp/ws-alice' } });
    const exists = await api(1, 'POST', `/api/machines/${mid}/paths/exists`, aliceJwt, { paths: ['/a', ' /b ', '/a'] });
    expect(exists.json).to.deep.equal({ exists: { '/a': true, '/b': false } });
    expect(runner.requests.at(-1)!.params).to.deep.equal({ paths: ['/a', '/b'] });
    expect((await api(1, 'POST', `/api/machines/${mid}/list-directory`, bobJwt, { path: '/' })).status).to.equal(403);
    expect((await api(1, 'POST', `/api/machines/${mid}/paths/exists`, bobJwt, { paths: ['/'] })).status).to.equal(403);
    expect((await api(1, 'POST', `/api/machines/${mid}/list-directory`, aliceJwt, {})).status).to.equal(400);
  });

  it('when alice renames her machine, then she sees the name and bob can neither rename nor see it', async () => {
    const ok = await api(0, 'PATCH', `/api/machines/${mid}`, aliceJwt, { displayName: '  Alice box  ' });
    expect(ok.status).to.equal(200);
    expect(ok.json).to.deep.equal({ ok: true });
    const denied = await api(1, 'PATCH', `/api/machines/${mid}`, bobJwt, { displayName: 'pwned' });
    expect(denied.status).to.equal(403);
    expect(denied.text).to.equal('{"error":"Machine access denied"}');
    const bad = await api(0, 'PATCH', `/api/machines/${mid}`, aliceJwt, {});
    expect(bad.text).to.equal('{"error":"Invalid body: displayName is required"}');
    const r = await api(1, 'GET', '/api/machines', aliceJwt);
    const m = (r.json.machines as { id: string; metadata: Record<string, unknown> }[]).find((x) => x.id === mid)!;
    expect(m.metadata.displayName).to.equal('Alice box');
    const cli = await http(hub.url, 'GET', `/cli/machines/${bobMid}`, { token: `${hub.baseToken}:bob` });
    expect(cli.json.machine.metadata.displayName).to.equal(undefined);
  });

  it('when alice\'s runner socket is gone, then a spawn answers rpc_target_missing at once (no 30 s wait)', async () => {
    runner.close();
    const started = Date.now();
    const r = await api(1, 'POST', `/api/machines/${mid}/spawn`, aliceJwt, { directory: '/tmp/ws-alice' });
    expect(r.status).to.equal(200);
    expect(r.json).to.include({ type: 'error', code: 'rpc_target_missing' });
    expect(Date.now() - started).to.be.below(5000);
  });
});
