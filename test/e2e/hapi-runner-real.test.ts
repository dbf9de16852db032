import { expect } from 'chai';
import { startHub, http, waitFor, type Hub } from '../helpers/hub-harness.js';
import { startRealRunner, stopRealRunners, webToken, type RealRunner } from '../helpers/hapi-runner.js';

type ApiMachine = { id: string; namespace: string; active: boolean; runnerState: { status?: string } | null; health: unknown; metadata: Record<string, unknown> };

/**
 * The REAL `hapi runner` (@twsxtd/hapi 0.30.7) against teamhub: registration, socket, liveness,
 * remote spawn answered by the runner itself (no agent installed → agent_unavailable), and
 * namespace isolation — what the same runner does against the reference hub.
 */
describe('e2e real hapi runner: registration, spawn, isolation', function () {
  this.timeout(120_000);
  let hub: Hub;
  let aliceJwt: string;
  let bobJwt: string;
  let runner: RealRunner | undefined;
  let machineId: string;

  before(async () => {
    hub = await startHub({ gateways: 2 });
    aliceJwt = await webToken(hub.url, `${hub.baseToken}:alice`);
    bobJwt = await webToken(hub.url, `${hub.baseToken}:bob`);
    runner = await startRealRunner(hub.urls[0]!, `${hub.baseToken}:alice`);
  });
  after(async () => {
    await stopRealRunners([runner]);
    await hub?.stop();
  });

  const machines = async (i: number, jwt: string) => (await http(hub.urls[i]!, 'GET', '/api/machines', { token: jwt })).json.machines as ApiMachine[];
  const spawn = (i: number, jwt: string, body: unknown) => http(hub.urls[i]!, 'POST', `/api/machines/${machineId}/spawn`, { token: jwt, body, timeoutMs: 40_000 });

  it('when the runner starts with base:alice, then it registers, stays connected and is listed online for alice only', async () => {
    machineId = await waitFor(() => runner!.machineId(), { timeoutMs: 20_000, what: 'settings.json machineId' });
    const online = await waitFor(
      async () => (await machines(1, aliceJwt)).find((m) => m.id === machineId && m.runnerState?.status === 'running'),
      { timeoutMs: 30_000, intervalMs: 200, what: `runner online; runner log:\n${runner!.log()}` },
    );
    expect(online).to.include({ namespace: 'alice', active: true });
    expect(online.metadata).to.include({ platform: 'linux', happyCliVersion: '0.30.7' });
    expect(online.metadata.workspaceRoots).to.deep.equal([runner!.workspace]);
    // HAPI shows the last heartbeat's health; ours is stored only on an inactive→active transition,
    // and the runner's machine-update-state marks the machine active before its first heartbeat.
    expect(online).to.have.property('health');
    expect(await machines(0, bobJwt)).to.deep.equal([]);
    const cli = await http(hub.url, 'GET', `/cli/machines/${machineId}`, { token: `${hub.baseToken}:bob` });
    expect(cli.text).to.equal('{"error":"Machine access denied"}');
  });

  it('when alice spawns claude on replica 2, then the runner\'s agent_unavailable answer comes back unchanged (HTTP 200)', async () => {
    const r = await spawn(1, aliceJwt, { directory: runner!.workspace, agent: 'claude' });
    expect(r.status).to.equal(200);
    expect(r.text).to.equal('{"type":"error","message":"claude is not installed or is not on PATH","code":"agent_unavailable","agent":"claude"}');
  });

  it('when alice spawns outside the workspace roots, then the runner refuses with outside_workspace_roots', async () => {
    const r = await spawn(0, aliceJwt, { directory: '/etc', agent: 'claude' });
    expect(r.status).to.equal(200);
    expect(r.text).to.equal('{"type":"error","message":"Directory is outside this machine\'s workspace roots","code":"outside_workspace_roots"}');
  });

  it('when alice lists the workspace, then the runner\'s list-directory answer is relayed', async () => {
    const r = await http(hub.urls[1]!, 'POST', `/api/machines/${machineId}/list-directory`, { token: aliceJwt, body: { path: runner!.workspace } });
    expect(r.status).to.equal(200);
    expect(r.json).to.deep.equal({ success: true, entries: [] });
  });

  it('when alice asks which agents the real runner has, then its answer comes back in HAPI\'s shape, with nothing installed here', async () => {
    const r = await http(hub.urls[1]!, 'GET', `/api/machines/${machineId}/agent-availability`, { token: aliceJwt, timeoutMs: 40_000 });
    expect(r.status, r.text).to.equal(200);
    const agents = r.json.agents as Array<{ agent: string; available: boolean }>;
    expect(agents.map((a) => a.agent)).to.include('claude');
    expect(agents.find((a) => a.agent === 'claude')).to.deep.include({ available: false });
    const bob = await http(hub.urls[0]!, 'GET', `/api/machines/${machineId}/agent-availability`, { token: bobJwt });
    expect(bob.status).to.equal(403);
  });

  it('when bob spawns on alice\'s runner, then 403 Machine access denied', async () => {
    const r = await spawn(1, bobJwt, { directory: runner!.workspace, agent: 'claude' });
    expect(r.status).to.equal(403);
    expect(r.text).to.equal('{"error":"Machine access denied"}');
  });

  it('when the runner is still connected after the spawns, then it stays listed for alice', async () => {
    const m = (await machines(0, aliceJwt)).find((x) => x.id === machineId);
    expect(m?.runnerState?.status).to.equal('running');
  });
});
