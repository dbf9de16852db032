import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { http, startHub, waitFor, type Hub } from '../helpers/hub-harness.js';
import { HAPI_BIN } from '../helpers/hapi-runner.js';
import { StandIn } from '../surface/stand-ins.js';

/**
 * The REAL `hapi resume` (@twsxtd/hapi 0.30.7) against teamhub. No AI agent is installed here, so
 * the CLI is given a stand-in `claude` (HAPI_CLAUDE_PATH) that records how it was started and
 * waits. What the hub side must do for `hapi resume` is all real: the resumable list for this
 * machine, the session's resume target, the handoff of the remote session (the remote CLI gets
 * `handoff-local` and ends), and the local CLI reattaching to the same session id.
 */
describe('e2e real hapi resume against teamhub', function () {
  this.timeout(180_000);
  let hub: Hub;
  let root: string;
  let home: string;
  let project: string;
  let claudeArgsFile: string;
  let claudePidFile: string;
  let env: NodeJS.ProcessEnv;
  const machineId = randomUUID();
  const claudeSessionId = randomUUID();
  const children: ChildProcess[] = [];
  const standIns: StandIn[] = [];
  let alice: string;
  let aliceJwt: string;

  const createSession = async (token: string, metadata: Record<string, unknown>) => {
    const r = await http(hub.url, 'POST', '/cli/sessions', { token, body: { tag: randomUUID(), metadata, agentState: { controlledByUser: false } } });
    if (r.status !== 200) throw new Error(`POST /cli/sessions ${r.status} ${r.text}`);
    return r.json.session as { id: string };
  };
  const webSession = async (id: string) => (await http(hub.url, 'GET', `/api/sessions/${id}`, { token: aliceJwt })).json.session;

  /** `hapi <args>` to completion (stdin is not a terminal, as in CI). */
  const runHapi = (args: string[], timeoutMs = 60_000) =>
    new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(HAPI_BIN, args, { env, cwd: project, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (b: Buffer) => (out += b.toString('utf8')));
      child.stderr.on('data', (b: Buffer) => (out += b.toString('utf8')));
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, out });
      });
    });

  before(async () => {
    hub = await startHub();
    alice = `${hub.baseToken}:alice`;
    aliceJwt = (await http(hub.url, 'POST', '/api/auth', { body: { accessToken: alice } })).json.token;
    root = mkdtempSync(path.join(os.tmpdir(), 'teamhub-hapi-resume-'));
    home = path.join(root, 'home');
    project = path.join(root, 'project');
    mkdirSync(path.join(home, '.hapi'), { recursive: true });
    mkdirSync(project);
    // The machine this CLI runs on (hapi keeps its id in settings.json).
    writeFileSync(path.join(home, '.hapi', 'settings.json'), JSON.stringify({ machineId }));
    // Claude's own transcript of the session, so the CLI resumes it (`--resume <id>`).
    const claudeDir = path.join(home, '.claude');
    const projectKey = path.resolve(project).replace(/[^a-zA-Z0-9]/g, '-');
    mkdirSync(path.join(claudeDir, 'projects', projectKey), { recursive: true });
    writeFileSync(path.join(claudeDir, 'projects', projectKey, `${claudeSessionId}.jsonl`), `${JSON.stringify({ uuid: randomUUID(), type: 'user' })}\n`);
    // The stand-in agent: an interactive start records its arguments (one per line) and stays up
    // like claude in a terminal; the CLI's catalog probe (`--output-format …`) just ends.
    claudeArgsFile = path.join(root, 'claude-args.txt');
    claudePidFile = path.join(root, 'claude.pid');
    const fakeClaude = path.join(root, 'claude');
    writeFileSync(
      fakeClaude,
      ['#!/bin/sh', 'for a in "$@"; do [ "$a" = "--output-format" ] && exit 0; done', `echo $$ > '${claudePidFile}'`, `printf '%s\\n' "$@" > '${claudeArgsFile}'`, 'exec sleep 300', ''].join('\n'),
    );
    chmodSync(fakeClaude, 0o755);
    env = {
      PATH: '/usr/local/bin:/usr/bin:/bin',
      HOME: home,
      HAPI_HOME: path.join(home, '.hapi'),
      CLAUDE_CONFIG_DIR: claudeDir,
      HAPI_CLAUDE_PATH: fakeClaude,
      HAPI_API_URL: hub.url,
      CLI_API_TOKEN: alice,
    };
  });
  after(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    // The stand-in agent outlives a killed CLI otherwise.
    const agentPid = claudePidFile && existsSync(claudePidFile) ? Number(readFileSync(claudePidFile, 'utf8').trim()) : 0;
    if (agentPid > 0) {
      try {
        process.kill(agentPid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    for (const s of standIns) s.close();
    await hub?.stop();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('when alice runs `hapi resume` without an id, then it lists her resumable sessions of this machine only and asks for one', async () => {
    const mine = await createSession(alice, { path: project, host: 'alice-laptop', machineId, flavor: 'claude', claudeSessionId, name: 'fixing the parser' });
    await createSession(alice, { path: project, host: 'alice-desktop', machineId: randomUUID(), flavor: 'claude', claudeSessionId: randomUUID(), name: 'on another machine' });
    await createSession(alice, { path: project, host: 'alice-laptop', machineId, flavor: 'claude', name: 'agent never started' });
    await createSession(`${hub.baseToken}:bob`, { path: project, host: 'alice-laptop', machineId, flavor: 'claude', claudeSessionId: randomUUID(), name: 'bob secret work' });
    const r = await runHapi(['resume']);
    expect(r.code, r.out).to.equal(1);
    expect(r.out).to.match(/1\. claude\s+inactive\s+fixing the parser/);
    expect(r.out).to.include('Run: hapi resume <session-id>');
    expect(r.out).to.not.include('on another machine');
    expect(r.out).to.not.include('agent never started');
    expect(r.out).to.not.include('bob secret work');
    expect(mine.id).to.be.a('string');
  });

  it("when alice runs `hapi resume <id>` for bob's session, then the CLI reports HAPI's access error and nothing starts", async () => {
    const bobs = await createSession(`${hub.baseToken}:bob`, { path: project, host: 'h', machineId, flavor: 'claude', claudeSessionId: randomUUID() });
    const r = await runHapi(['resume', bobs.id]);
    expect(r.code, r.out).to.equal(1);
    // The CLI shows the hub's refusal by its status (HAPI's 403 with code access_denied).
    expect(r.out).to.include('status code 403');
    expect(existsSync(claudeArgsFile)).to.equal(false);
  });

  it('when a remote session is resumed locally, then the remote CLI hands off, and the local CLI reattaches to the same session with claude resuming', async () => {
    const s = await createSession(alice, { path: project, host: 'alice-laptop', machineId, flavor: 'claude', claudeSessionId, name: 'remote work', startedBy: 'runner', lifecycleState: 'running' });
    // The remote CLI of that session (as a runner started it): it exits on handoff-local.
    const remote = await StandIn.session(hub.url, alice, s.id, { methods: ['handoff-local'], heartbeatMs: 1000 });
    standIns.push(remote);
    remote.onRpc('handoff-local', () => {
      setTimeout(() => remote.end('handoff'), 100);
      return { ok: true };
    });
    await waitFor(async () => (await webSession(s.id))?.active === true, { what: 'remote session active', timeoutMs: 10_000 });

    const child = spawn(HAPI_BIN, ['resume', s.id], { env, cwd: project, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString('utf8')));
    child.stderr.on('data', (b: Buffer) => (out += b.toString('utf8')));

    await remote.waitRpc('handoff-local', () => true, 30_000);
    const args = await waitFor(() => (existsSync(claudeArgsFile) ? readFileSync(claudeArgsFile, 'utf8').split('\n') : null), { what: `claude started; hapi output:\n${out}`, timeoutMs: 60_000 });
    expect(args[args.indexOf('--resume') + 1]).to.equal(claudeSessionId);
    // The local CLI took the session over: same id, alive again, controlled from the terminal.
    const local = await waitFor(
      async () => {
        const cur = await webSession(s.id);
        return cur?.active === true && cur.agentState?.controlledByUser === true ? cur : null;
      },
      { what: `local CLI attached; hapi output:\n${out}`, timeoutMs: 30_000 },
    );
    expect(local.metadata).to.include({ path: project, machineId, flavor: 'claude', claudeSessionId });
    expect(local.namespace).to.equal('alice');
    const target = await http(hub.url, 'GET', `/cli/sessions/${s.id}/resume-target`, { token: alice });
    expect(target.json.target).to.include({ sessionId: s.id, active: true, controlledByUser: true });
    // A second `hapi resume` now refuses: the terminal already holds it.
    const again = await runHapi(['resume', s.id]);
    expect(again.code, again.out).to.equal(1);
    expect(again.out).to.include('Session is already controlled by a local terminal');
    child.kill('SIGTERM');
  });
});
