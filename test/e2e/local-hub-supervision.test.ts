import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ensureBuilt, REPO_ROOT } from '../../scripts/local-hub.js';
import { http, SESSION_METADATA } from '../helpers/hub-harness.js';
import { freePort, waitFor } from '../helpers/ports.js';
import { startLocalHub, waitForOutput, type RunningHub } from '../helpers/local-hub.js';

/** The launcher's children per TEAMHUB_SERVICE_PROCESSES (one: the default; notify is always its own). */
const CHILDREN = { split: ['nats', 'auth', 'session', 'machine', 'notify', 'gateway'], one: ['nats', 'services', 'notify', 'gateway'] };
/** The gRPC services a child serves (each prints its own ready line with its port). */
const SERVED: Record<string, string[]> = { services: ['auth', 'session', 'machine'] };

/** A light, steady load: one session create as alice every 100 ms, bounded in count; remembers what was acknowledged. */
function startLoad(hub: RunningHub) {
  const acked: string[] = [];
  let refused = 0;
  let running = true;
  const done = (async () => {
    for (let i = 0; running && i < 3000; i++) {
      const r = await http(hub.url, 'POST', '/cli/sessions', {
        token: `${hub.baseToken}:alice`,
        body: { tag: `load-${i}-${randomBytes(4).toString('hex')}`, metadata: SESSION_METADATA },
        timeoutMs: 15_000,
      }).catch(() => null);
      if (r?.status === 200) acked.push(r.json.session.id as string);
      else refused += 1;
      await new Promise((res) => setTimeout(res, 100));
    }
  })();
  return {
    acked,
    refused: () => refused,
    stop: async () => {
      running = false;
      await done;
    },
  };
}

/** The ports the launcher's children reported ready on, in order of the lines (`TEAMHUB_READY <name> port=<n>`). */
const readyPorts = (out: string, name: string): string[] => [...out.matchAll(new RegExp(`TEAMHUB_READY ${name} port=(\\d+)`, 'g'))].map((m) => m[1]!);

function occupy(port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(port, '127.0.0.1', () => resolve(srv));
  });
}

describe('e2e: the local hub (make run) restarts a child that dies', function () {
  this.timeout(240_000);
  const dirs: string[] = [];
  let hub: RunningHub | null = null;
  const tempDir = () => {
    const d = mkdtempSync(path.join(os.tmpdir(), 'teamhub-supervise-'));
    dirs.push(d);
    return d;
  };

  // Two cases below start the compiled launcher directly.
  before(() => ensureBuilt(() => {}));
  afterEach(async () => {
    await hub?.stop('SIGTERM');
    hub = null;
  });
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  for (const topology of ['split', 'one'] as const) it(`when each child is SIGKILLed in turn under a light load (TEAMHUB_SERVICE_PROCESSES=${topology}), then it comes back on the same address, the others are left alone, and the hub answers again by itself`, async () => {
    hub = await startLocalHub({ dataDir: tempDir(), port: await freePort(), env: { TEAMHUB_SERVICE_PROCESSES: topology } });
    const first = hub.children();
    expect([...first.keys()].sort()).to.deep.equal([...CHILDREN[topology]].sort());
    const alice = `${hub.baseToken}:alice`;
    const before = await http(hub.url, 'POST', '/cli/sessions', { token: alice, body: { tag: 'before-faults', metadata: SESSION_METADATA } });
    expect(before.status, before.text).to.equal(200);
    const load = startLoad(hub);
    try {
      for (const name of CHILDREN[topology]) {
        const mark = hub.output().length;
        const others = hub.children();
        const victim = others.get(name)!;
        others.delete(name);
        const portsBefore = (SERVED[name] ?? [name]).map((n) => readyPorts(hub!.output(), n).at(-1));
        process.kill(victim.pid, 'SIGKILL');

        await waitForOutput(
          hub,
          new RegExp(`teamhub: ${name} stopped unexpectedly \\(signal SIGKILL, after [\\d.]+ s running\\); restart 1 in 0\\.5 s \\(crash 1 of 5 allowed within 60 s\\)`),
          { from: mark },
        );
        await waitForOutput(hub, new RegExp(`teamhub: ${name} is back \\(restart 1, pid \\d+, ready in [\\d.]+ s\\)`), { from: mark, timeoutMs: 30_000 });

        const now = hub.children();
        const back = now.get(name);
        expect(back, `${name} is running again`).to.not.equal(undefined);
        expect(back!.pid).to.not.equal(victim.pid);
        // The same command line: the same compiled entry, and for nats-server the same port and store dir.
        expect(back!.argv).to.deep.equal(victim.argv);
        const portsAfter = (SERVED[name] ?? [name]).map((n) => readyPorts(hub!.output(), n).at(-1));
        if (name !== 'nats') expect(portsAfter, `${name} listens where it did`).to.deep.equal(portsBefore);
        for (const [other, info] of others) expect(now.get(other)?.pid, `${other} was not restarted`).to.equal(info.pid);

        // Without anyone doing anything, the hub serves writes and earlier data again.
        await waitFor(
          async () => {
            const r = await http(hub!.url, 'POST', '/cli/sessions', { token: alice, body: { tag: `after-${name}`, metadata: SESSION_METADATA }, timeoutMs: 5000 });
            return r.status === 200;
          },
          { timeoutMs: 20_000, intervalMs: 200, what: `a session create after ${name} came back` },
        );
        const old = await http(hub.url, 'GET', `/cli/sessions/${before.json.session.id}`, { token: alice });
        expect(old.status, `after ${name}: ${old.text}`).to.equal(200);
        // The steady load is acknowledged again before the next fault, so every fault has
        // acknowledged writes on both sides of it for the checks below.
        const ackedNow = load.acked.length;
        await waitFor(() => load.acked.length >= ackedNow + 8, { timeoutMs: 20_000, what: `8 more acknowledged creates after ${name} came back` });
      }
    } finally {
      await load.stop();
    }
    expect(hub.proc.exitCode, 'the launcher kept running').to.equal(null);
    expect(load.acked.length, `acknowledged creates (refused ${load.refused()})`).to.be.greaterThan(20);
    for (const id of load.acked) {
      const r = await http(hub.url, 'GET', `/cli/sessions/${id}`, { token: `${hub.baseToken}:alice` });
      expect(r.status, `acknowledged session ${id}`).to.equal(200);
    }
    const bobs = await http(hub.url, 'GET', `/cli/sessions/${load.acked[0]}`, { token: `${hub.baseToken}:bob` });
    expect(bobs.status, 'bob still cannot read alice’s session after the restarts').to.equal(403);
  });

  it('when a restarted child keeps crashing at start (its port taken), then after 5 crashes in a minute the hub stops with its last output and exit code 1', async () => {
    hub = await startLocalHub({ dataDir: tempDir(), port: await freePort(), env: { TEAMHUB_RESTART_BACKOFF_MS: '400', TEAMHUB_SERVICE_PROCESSES: 'split' } });
    const port = Number(readyPorts(hub.output(), 'session').at(-1));
    const session = hub.children().get('session')!;
    process.kill(session.pid, 'SIGKILL');
    // Another program takes the port the moment it is free, so every restart fails to listen.
    const squatter = await waitFor(() => occupy(port).catch(() => null), { timeoutMs: 5000, intervalMs: 5, what: 'the session port free' });
    try {
      const code = await Promise.race([hub.exited, new Promise<string>((res) => setTimeout(() => res('still running'), 120_000))]);
      const out = hub.output();
      expect(code, out.slice(-4000)).to.equal(1);
      // The backoff doubles from the configured 0.4 s.
      for (const [n, delay] of [[1, '0.4'], [2, '0.8'], [3, '1.6'], [4, '3.2']]) expect(out).to.include(`restart ${n} in ${delay} s`);
      expect(out).to.match(/teamhub: session stopped unexpectedly \(exit code 1, after [\d.]+ s running\); that is 5 crashes within 60 s, so it is not restarted again/);
      const shown = out.slice(out.indexOf('teamhub: session crashed 5 times within 60 s (last: exit code 1). Its last output:'));
      expect(shown, out.slice(-4000)).to.not.equal('');
      expect(shown, 'its last output names the taken address').to.match(new RegExp(`session \\| .*(${port}|EADDRINUSE|address already in use)`, 'i'));
      expect(out).to.include('teamhub: session keeps crashing; stopping');
      expect(out.trimEnd().endsWith('teamhub: stopped'), out.slice(-2000)).to.equal(true);
      await waitFor(() => hub!.children().size === 0, { timeoutMs: 15_000, what: 'every child gone' });
    } finally {
      squatter.close();
    }
  });

  it('when a child cannot start at all (a bad setting), then the launcher stops what it started at once, shows why, and exits 1 without restarting', async () => {
    const dataDir = tempDir();
    const port = await freePort();
    const res = spawnSync(process.execPath, [path.join(REPO_ROOT, 'dist/scripts/run-local.js')], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env, CLI_API_TOKEN: '', TEAMHUB_LOG_LEVEL: 'warn', TEAMHUB_DATA_DIR: dataDir, HAPI_LISTEN_PORT: String(port), TEAMHUB_MAX_BODY_BYTES: 'lots' },
    });
    const out = `${res.stdout}${res.stderr}`;
    expect(res.status, out).to.equal(1);
    expect(out).to.match(/teamhub: gateway stopped unexpectedly \(last: exit code 1\)\. Its last output:/);
    expect(out).to.include('TEAMHUB_MAX_BODY_BYTES');
    expect(out).to.include('gateway exited before it was ready');
    expect(out).to.not.match(/restart \d+ in/);
  });

  it('when a restart setting is invalid, then the launcher refuses to start with a clear message and exit 2', () => {
    const res = spawnSync(process.execPath, [path.join(REPO_ROOT, 'dist/scripts/run-local.js')], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      timeout: 30_000,
      env: { ...process.env, TEAMHUB_DATA_DIR: tempDir(), TEAMHUB_RESTART_LIMIT: '0', TEAMHUB_RESTART_WINDOW_MS: 'soon', TEAMHUB_SERVICE_PROCESSES: 'two' },
    });
    expect(res.status).to.equal(2);
    expect(res.stderr).to.include('TEAMHUB_RESTART_LIMIT must be >= 1, got 0');
    expect(res.stderr).to.include('TEAMHUB_RESTART_WINDOW_MS must be an integer, got "soon"');
    expect(res.stderr).to.include('TEAMHUB_SERVICE_PROCESSES must be one of one|split, got "two"');
    expect(res.stdout).to.not.include('teamhub: starting');
  });
});
