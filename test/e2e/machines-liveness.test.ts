import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { startHub, http, waitFor, type Hub } from '../helpers/hub-harness.js';
import { FakeRunner, registerMachine, webToken } from '../helpers/hapi-runner.js';
import { connectCli, type CliSocket } from '../helpers/cli-socket.js';

/**
 * Machine liveness with a shortened window (TEAMHUB_MACHINE_TIMEOUT_MS=1500) and session
 * resume/reopen of an inactive session on an online machine of its namespace.
 */
describe('e2e machines: liveness window, offline spawn, resume', function () {
  this.timeout(90_000);
  let hub: Hub;
  let aliceJwt: string;
  let bobJwt: string;
  const alice = () => `${hub.baseToken}:alice`;
  const runners: FakeRunner[] = [];
  const clis: CliSocket[] = [];

  before(async () => {
    hub = await startHub({ env: { TEAMHUB_MACHINE_TIMEOUT_MS: '1500', TEAMHUB_SWEEP_INTERVAL_MS: '200', TEAMHUB_SESSION_TRANSITION_WAIT_MS: '2000' } });
    aliceJwt = await webToken(hub.url, alice());
    bobJwt = await webToken(hub.url, `${hub.baseToken}:bob`);
  });
  after(async () => {
    for (const r of runners) r.close();
    for (const c of clis) c.close();
    await hub?.stop();
  });

  const api = (method: string, path: string, token: string, body?: unknown) => http(hub.url, method, path, { token, body });
  const listed = async (token: string) => ((await api('GET', '/api/machines', token)).json.machines as { id: string }[]).map((m) => m.id);

  async function onlineRunner(host = 'peerhost'): Promise<FakeRunner> {
    const id = `m-${randomUUID()}`;
    expect((await registerMachine(hub.url, alice(), id, { host, platform: 'linux', happyCliVersion: '0.30.7', capabilities: ['agent-availability'] })).status).to.equal(200);
    const r = await FakeRunner.connect(hub.url, alice(), id);
    runners.push(r);
    r.register('spawn-happy-session');
    r.startHeartbeat(300);
    await waitFor(async () => (await listed(aliceJwt)).includes(id), { timeoutMs: 10_000, what: 'machine online' });
    return r;
  }

  async function inactiveSession(metadata: Record<string, unknown>): Promise<string> {
    const r = await http(hub.url, 'POST', '/cli/sessions', { token: alice(), body: { tag: randomUUID(), metadata } });
    expect(r.status).to.equal(200);
    expect(r.json.session.active).to.equal(false);
    return r.json.session.id as string;
  }

  it('when heartbeats stop, then the machine drops off the list after the window and a spawn answers rpc_target_missing at once', async () => {
    const r = await onlineRunner();
    r.stopHeartbeat();
    await waitFor(async () => !(await listed(aliceJwt)).includes(r.machineId), { timeoutMs: 10_000, what: 'machine offline' });
    const before = r.requests.length;
    const started = Date.now();
    const spawn = await api('POST', `/api/machines/${r.machineId}/spawn`, aliceJwt, { directory: '/tmp/ws' });
    expect(Date.now() - started).to.be.below(2000);
    expect(spawn.status).to.equal(200);
    expect(spawn.json).to.deep.equal({ type: 'error', message: `RPC handler not registered: ${r.machineId}:spawn-happy-session`, code: 'rpc_target_missing' });
    expect(r.requests.length).to.equal(before);
    // The transition (not each heartbeat) reaches the store.
    const stored = async () => (await http(hub.url, 'GET', `/cli/machines/${r.machineId}`, { token: alice() })).json.machine.active === false;
    await waitFor(stored, { timeoutMs: 5000, what: 'machine stored inactive' });
  });

  it('when heartbeats resume, then the machine is online again and spawns reach it', async () => {
    const r = runners[0]!;
    r.startHeartbeat(300);
    await waitFor(async () => (await listed(aliceJwt)).includes(r.machineId), { timeoutMs: 10_000, what: 'machine back online' });
    r.answer = () => ({ type: 'success', sessionId: 'again' });
    const spawn = await api('POST', `/api/machines/${r.machineId}/spawn`, aliceJwt, { directory: '/tmp/ws' });
    expect(spawn.json).to.deep.equal({ type: 'success', sessionId: 'again' });
    r.stopHeartbeat();
    await waitFor(async () => !(await listed(aliceJwt)).includes(r.machineId), { timeoutMs: 10_000, what: 'machine offline' });
  });

  it('when no machine of the namespace is online, then resume and reopen answer 503 no_machine_online', async () => {
    const sid = await inactiveSession({ path: '/tmp/proj', host: 'nohost', machineId: 'gone' });
    for (const verb of ['resume', 'reopen']) {
      const r = await api('POST', `/api/sessions/${sid}/${verb}`, aliceJwt);
      expect(r.status).to.equal(503);
      expect(r.text).to.equal('{"error":"No machine online","code":"no_machine_online"}');
    }
  });

  it('when bob resumes alice\'s session or an unknown one, then 403 Session access denied / 404', async () => {
    const sid = await inactiveSession({ path: '/tmp/proj', host: 'peerhost' });
    const denied = await api('POST', `/api/sessions/${sid}/resume`, bobJwt);
    expect(denied.status).to.equal(403);
    expect(denied.text).to.equal('{"error":"Session access denied"}');
    expect((await api('POST', `/api/sessions/${randomUUID()}/resume`, aliceJwt)).status).to.equal(404);
  });

  it('when the session\'s machine is online, then resume spawns there with the session id and answers once the session is alive', async () => {
    const r = await onlineRunner('resume-host');
    const sid = await inactiveSession({ path: '/tmp/proj', host: 'resume-host', machineId: r.machineId, flavor: 'claude', claudeSessionId: 'c-1' });
    // Like the real runner: the spawned CLI connects for that session id and reports alive.
    r.answer = (_m, params) => {
      const id = (params as { existingSessionId: string }).existingSessionId;
      void connectCli(hub.url, alice(), { sessionId: id }).then((cli) => {
        clis.push(cli);
        cli.socket.emit('session-alive', { sid: id, time: Date.now(), thinking: false, mode: 'remote' });
      });
      return { type: 'success', sessionId: id };
    };
    const resumed = await api('POST', `/api/sessions/${sid}/resume`, aliceJwt);
    expect(resumed.status).to.equal(200);
    expect(resumed.json).to.deep.equal({ type: 'success', sessionId: sid });
    expect(r.requests.at(-1)!.params).to.deep.include({ directory: '/tmp/proj', agent: 'claude', existingSessionId: sid, sessionId: sid, resumeSessionId: 'c-1' });
    expect((await api('GET', `/api/sessions/${sid}`, aliceJwt)).json.session.active).to.equal(true);
    // Already alive: reopen has nothing to resume.
    const reopened = await api('POST', `/api/sessions/${sid}/reopen`, aliceJwt);
    expect(reopened.json).to.deep.equal({ ok: true, sessionId: sid, resumed: false });
  });

  it('when only a machine on the same host is online, then resume picks it; a runner error or a CLI that never comes up is HAPI\'s 500 resume_failed', async () => {
    const r = runners.at(-1)!;
    const sid = await inactiveSession({ path: '/tmp/other', host: 'resume-host', machineId: 'not-online' });
    r.answer = () => ({ type: 'error', errorMessage: 'Directory is outside this machine\'s workspace roots', code: 'outside_workspace_roots' });
    const resumed = await api('POST', `/api/sessions/${sid}/resume`, aliceJwt);
    expect(resumed.status).to.equal(500);
    expect(resumed.json).to.deep.equal({ error: 'Directory is outside this machine\'s workspace roots', code: 'resume_failed' });
    expect(r.requests.at(-1)!.params).to.deep.include({ directory: '/tmp/other', existingSessionId: sid });
    r.answer = (_m, params) => ({ type: 'success', sessionId: (params as { existingSessionId: string }).existingSessionId });
    const silent = await api('POST', `/api/sessions/${sid}/resume`, aliceJwt);
    expect([silent.status, silent.json]).to.deep.equal([500, { error: 'Session failed to become active', code: 'resume_failed' }]);
  });
});
