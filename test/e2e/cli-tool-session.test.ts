import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { http, startHub, waitFor, type Hub } from '../helpers/hub-harness.js';
import { spawn } from 'node:child_process';
import {
  AGENT_SCRIPT,
  listIds,
  machineIdOf,
  SHIM,
  startCuttableProxy,
  stopRunner,
  teamhub,
  tempDir,
  webToken,
} from './cli-tool-support.js';

type Msg = { id: string; seq: number; content: { role?: string; content?: any } };

describe('teamhub CLI: remote spawn of a wrapped command', function () {
  this.timeout(60_000);
  let hub: Hub;
  let base: string;
  let ws: string;
  let home: string;
  let machineId: string;
  let alice: string;
  let bob: string;
  let sid: string;
  let agent: string;

  const agentTexts = async (id = sid): Promise<string[]> => {
    const res = await http(hub.url, 'GET', `/api/sessions/${id}/messages?limit=200`, { token: alice });
    return (res.json.messages as Msg[])
      .filter((m) => m.content?.role === 'agent')
      .map((m) => m.content.content?.data?.message?.content?.[0]?.text as string);
  };
  const send = (text: string, id = sid) =>
    http(hub.url, 'POST', `/api/sessions/${id}/messages`, { token: alice, body: { text, localId: `l-${text}-${Date.now()}` } });
  const getSession = async (id = sid) => (await http(hub.url, 'GET', `/api/sessions/${id}`, { token: alice })).json.session;

  before(async () => {
    hub = await startHub();
    base = tempDir('th-cli-e2e-run-');
    ws = path.join(base, 'ws');
    home = path.join(base, 'home-alice');
    fs.mkdirSync(path.join(ws, 'proj'), { recursive: true });
    agent = path.join(base, 'agent.mjs');
    fs.writeFileSync(agent, AGENT_SCRIPT);
    await teamhub(['auth', 'login', '--token', `${hub.baseToken}:alice`], { home, url: hub.url });
    const r = await teamhub(['runner', 'start', '--workspace-root', ws, '--agent-command', `node ${agent}`], { home, url: hub.url });
    if (r.code !== 0) throw new Error(`runner start failed: ${r.stderr}`);
    machineId = machineIdOf(home)!;
    [alice, bob] = await Promise.all([webToken(hub.url, `${hub.baseToken}:alice`), webToken(hub.url, `${hub.baseToken}:bob`)]);
  });
  after(async () => {
    await stopRunner(home, hub.url);
    await hub?.stop();
    fs.rmSync(base, { recursive: true, force: true });
  });

  it('when alice spawns in an allowed directory, then the session shows up for alice only, running her command', async () => {
    const res = await http(hub.url, 'POST', `/api/machines/${machineId}/spawn`, { token: alice, body: { directory: path.join(ws, 'proj') } });
    expect(res.status).to.equal(200);
    expect(res.json.type, res.text).to.equal('success');
    sid = res.json.sessionId;
    await waitFor(async () => (await listIds(hub.url, alice, 'sessions')).includes(sid), { timeoutMs: 2000, what: 'session in list' });
    expect(await listIds(hub.url, bob, 'sessions')).to.not.include(sid);
    const s = await getSession();
    expect(s.metadata).to.include({ path: path.join(ws, 'proj'), flavor: 'teamhub-run', startedBy: 'runner', machineId });
    await waitFor(async () => (await agentTexts()).includes(`agent ready in ${path.join(ws, 'proj')}`), { what: 'agent output' });
  });

  it('when alice sends a web message, then it reaches the command’s stdin once', async () => {
    expect((await send('hello')).status).to.equal(200);
    await waitFor(async () => (await agentTexts()).includes('echo: hello'), { what: 'echo' });
    expect((await agentTexts()).filter((t) => t === 'echo: hello')).to.have.length(1);
  });

  it('when the command asks for a permission and alice approves, then agentState records it and the command hears it', async () => {
    await send('perm');
    const requests = await waitFor(async () => {
      const r = (await getSession()).agentState?.requests ?? {};
      return Object.keys(r).length ? r : null;
    }, { what: 'permission request' });
    const [rid, req] = Object.entries(requests as Record<string, { tool: string; arguments: unknown }>)[0]!;
    expect(req).to.deep.include({ tool: 'Bash', arguments: { command: 'ls' } });
    const bobTry = await http(hub.url, 'POST', `/api/sessions/${sid}/permissions/${rid}/approve`, { token: bob, body: {} });
    expect(bobTry.status).to.be.oneOf([403, 404]);
    const ok = await http(hub.url, 'POST', `/api/sessions/${sid}/permissions/${rid}/approve`, { token: alice, body: {} });
    expect(ok.status, ok.text).to.equal(200);
    await waitFor(async () => (await agentTexts()).includes(`got ::permission-result ${rid} approved`), { what: 'decision on stdin' });
    const state = (await getSession()).agentState;
    expect(state.requests?.[rid]).to.equal(undefined);
    expect(state.completedRequests[rid]).to.include({ status: 'approved', tool: 'Bash' });
  });

  it('when the command exits, then the session ends', async () => {
    await send('exit');
    await waitFor(async () => (await agentTexts()).includes('bye'), { what: 'bye' });
    await waitFor(async () => (await getSession()).active === false, { what: 'session inactive' });
  });

  it('when a spawn asks for a directory outside the roots, then the runner’s error comes back', async () => {
    for (const directory of [base, path.join(ws, '..'), '/etc']) {
      const res = await http(hub.url, 'POST', `/api/machines/${machineId}/spawn`, { token: alice, body: { directory } });
      expect(res.status).to.equal(200);
      expect(res.json).to.deep.include({ type: 'error', message: "Directory is outside this machine's workspace roots" });
    }
  });

  it('when bob tries to spawn on alice’s machine, then he is refused and nothing starts', async () => {
    const res = await http(hub.url, 'POST', `/api/machines/${machineId}/spawn`, { token: bob, body: { directory: ws } });
    expect(res.status).to.equal(403);
    expect(res.json).to.deep.equal({ error: 'Machine access denied' });
    expect(await listIds(hub.url, bob, 'sessions')).to.deep.equal([]);
  });

  it('when the CLI lists sessions, then it shows the spawned session of this namespace', async () => {
    const r = await teamhub(['sessions', '--json'], { home, url: hub.url });
    expect(r.code, r.stderr).to.equal(0);
    expect(JSON.parse(r.stdout).map((s: { id: string }) => s.id)).to.deep.equal([sid]);
  });

  it('when the connection drops while alice sends a message, then after reconnecting the command gets it exactly once', async () => {
    const proxy = await startCuttableProxy(new URL(hub.url).port);
    const env: NodeJS.ProcessEnv = { ...process.env, HAPI_HOME: home, HAPI_API_URL: proxy.url };
    delete env.CLI_API_TOKEN;
    const child = spawn(process.execPath, [SHIM, 'run', '--name', 'direct', '--', 'node', agent], { cwd: ws, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.stdout.resume();
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      const id = (await waitFor(() => /teamhub: session (\S+)/.exec(err)?.[1], { what: 'session id' })) as string;
      await waitFor(async () => (await getSession(id))?.active === true, { what: 'session active' });
      proxy.cut();
      expect((await send('offline', id)).status).to.equal(200);
      await new Promise((r) => setTimeout(r, 300));
      await proxy.resume();
      await waitFor(async () => (await agentTexts(id)).includes('echo: offline'), { timeoutMs: 15_000, what: 'backfilled message' });
      await send('exit', id);
      expect(await exited).to.equal(0);
      expect((await agentTexts(id)).filter((t) => t === 'echo: offline')).to.have.length(1);
      await waitFor(async () => (await getSession(id)).active === false, { what: 'session ended' });
    } finally {
      child.kill('SIGKILL');
      await proxy.close();
    }
  });

  it('when a wrapped command fails, then `teamhub run` exits with its code', async () => {
    const r = await teamhub(['run', '--', 'node', '-e', 'console.log("x"); process.exit(3)'], { home, url: hub.url, cwd: ws });
    expect(r.code).to.equal(3);
    expect(r.stdout).to.equal('x\n');
    expect(r.stderr).to.match(/^teamhub: session [0-9a-f-]{36}\n$/);
  });
});
