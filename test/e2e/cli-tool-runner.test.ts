import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { startHub, waitFor, type Hub } from '../helpers/hub-harness.js';
import { listIds, machineIdOf, stopRunner, teamhub, tempDir, webToken } from './cli-tool-support.js';

describe('teamhub CLI: runners in two namespaces', function () {
  this.timeout(60_000);
  let hub: Hub;
  let base: string;
  let ws: string;
  const homes: string[] = [];
  const home = (name: string) => {
    const h = path.join(base, name);
    homes.push(h);
    return h;
  };
  const start = (h: string, env?: Record<string, string>) =>
    teamhub(['runner', 'start', '--workspace-root', ws, '--agent-command', 'node -e 0'], { home: h, url: hub.url, env });

  before(async () => {
    hub = await startHub();
    base = tempDir('th-cli-e2e-');
    ws = path.join(base, 'ws');
    fs.mkdirSync(ws);
  });
  after(async () => {
    await Promise.all(homes.map((h) => stopRunner(h, hub.url)));
    await hub?.stop();
    fs.rmSync(base, { recursive: true, force: true });
  });

  it('when alice and bob each start a runner, then each namespace sees only its own machine', async () => {
    const a = home('a');
    const b = home('b');
    expect((await teamhub(['auth', 'login', '--token', `${hub.baseToken}:alice`], { home: a, url: hub.url })).code).to.equal(0);
    expect((await teamhub(['auth', 'login', '--token', `${hub.baseToken}:bob`], { home: b, url: hub.url })).code).to.equal(0);
    const [ra, rb] = await Promise.all([start(a), start(b)]);
    expect(ra.code, ra.stderr).to.equal(0);
    expect(rb.code, rb.stderr).to.equal(0);
    expect(ra.stdout).to.match(/Runner started/);
    const [ma, mb] = [machineIdOf(a)!, machineIdOf(b)!];
    expect(ma).to.not.equal(mb);
    const [alice, bob] = await Promise.all([webToken(hub.url, `${hub.baseToken}:alice`), webToken(hub.url, `${hub.baseToken}:bob`)]);
    expect(await listIds(hub.url, alice, 'machines')).to.deep.equal([ma]);
    expect(await listIds(hub.url, bob, 'machines')).to.deep.equal([mb]);
    const list = await teamhub(['machines', '--json'], { home: a, url: hub.url });
    expect(JSON.parse(list.stdout).map((m: { id: string; active: boolean }) => [m.id, m.active])).to.deep.equal([[ma, true]]);
  });

  it('when a second runner starts in the same HAPI_HOME, then it is refused with a clear message', async () => {
    const r = await start(path.join(base, 'a'));
    expect(r.code).to.not.equal(0);
    expect(r.stderr).to.match(/already running for HAPI_HOME .* \(pid \d+\)/);
    const status = await teamhub(['runner', 'status'], { home: path.join(base, 'a'), url: hub.url });
    expect(status.code).to.equal(0);
    expect(status.stdout).to.include(machineIdOf(path.join(base, 'a'))!);
  });

  it("when alice's settings are reused with bob's token, then the runner fails with 403 and the namespace hint", async () => {
    const c = home('c');
    fs.mkdirSync(c);
    fs.copyFileSync(path.join(base, 'a', 'settings.json'), path.join(c, 'settings.json'));
    const r = await start(c, { CLI_API_TOKEN: `${hub.baseToken}:bob` });
    expect(r.code).to.not.equal(0);
    expect(r.stderr).to.include(
      'This machine id is registered in another namespace. Run `teamhub auth logout` (then log in with your token) or use a separate HAPI_HOME for each namespace.',
    );
    expect(fs.existsSync(path.join(c, 'runner.lock'))).to.equal(false);

    const out = await teamhub(['auth', 'logout'], { home: c, url: hub.url });
    expect(out.stdout).to.equal(
      'Cleared local credentials (token and machineId).\nNote: If CLI_API_TOKEN is set via environment variable, it will still be used.\n',
    );
    expect(machineIdOf(c)).to.equal(undefined);
    await teamhub(['auth', 'login', '--token', `${hub.baseToken}:bob`], { home: c, url: hub.url });
    const again = await start(c);
    expect(again.code, again.stderr).to.equal(0);
    const fresh = machineIdOf(c)!;
    expect(fresh).to.not.equal(machineIdOf(path.join(base, 'a')));
    const bob = await webToken(hub.url, `${hub.baseToken}:bob`);
    expect(await listIds(hub.url, bob, 'machines')).to.include(fresh);
    const alice = await webToken(hub.url, `${hub.baseToken}:alice`);
    expect(await listIds(hub.url, alice, 'machines')).to.not.include(fresh);
  });

  it('when a runner is stopped, then the hub sees it shutting down and the lock is gone', async () => {
    const c = path.join(base, 'c');
    const id = machineIdOf(c)!;
    const r = await teamhub(['runner', 'stop'], { home: c, url: hub.url });
    expect(r.code).to.equal(0);
    expect(r.stdout).to.match(/Runner stopped/);
    expect(fs.existsSync(path.join(c, 'runner.lock'))).to.equal(false);
    const bob = await webToken(hub.url, `${hub.baseToken}:bob`);
    await waitFor(async () => {
      const res = await fetch(`${hub.url}/api/machines`, { headers: { authorization: `Bearer ${bob}` } });
      const m = ((await res.json()) as { machines: { id: string; runnerState?: { status?: string } }[] }).machines.find((x) => x.id === id);
      return m?.runnerState?.status === 'shutting-down';
    }, { what: 'runner state shutting-down' });
    const status = await teamhub(['runner', 'status'], { home: c, url: hub.url });
    expect(status.code).to.equal(1);
    expect(status.stdout).to.match(/not running/);
  });

  it('when no token is configured, then runner start explains how to log in', async () => {
    const r = await start(home('empty'));
    expect(r.code).to.equal(1);
    expect(r.stderr).to.match(/No access token. Run `teamhub auth login` or set CLI_API_TOKEN/);
  });
});
