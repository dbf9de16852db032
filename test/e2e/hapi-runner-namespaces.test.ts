import { expect } from 'chai';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startHub, http, waitFor, type Hub } from '../helpers/hub-harness.js';
import { processAlive, runnerHome, startRealRunner, stopRealRunners, webToken, type RealRunner } from '../helpers/hapi-runner.js';

/**
 * The seed's teamwork flow with REAL runners on one computer (HAPI's namespaces and teamwork):
 * one HAPI_HOME per namespace; a machine id is locked to its first namespace; `hapi auth logout`
 * clears the machine id so a fresh one can register elsewhere.
 */
describe('e2e real hapi runners: one computer, two namespaces', function () {
  this.timeout(180_000);
  let hub: Hub;
  let aliceJwt: string;
  let bobJwt: string;
  const runners: RealRunner[] = [];
  let a: RealRunner;
  let b: RealRunner;

  before(async () => {
    hub = await startHub();
    aliceJwt = await webToken(hub.url, `${hub.baseToken}:alice`);
    bobJwt = await webToken(hub.url, `${hub.baseToken}:bob`);
  });
  after(async () => {
    await stopRealRunners(runners);
    await hub?.stop();
  });

  const token = (ns: string) => `${hub.baseToken}:${ns}`;
  const listed = async (jwt: string) =>
    ((await http(hub.url, 'GET', '/api/machines', { token: jwt })).json.machines as { id: string; namespace: string }[]).map((m) => `${m.namespace}/${m.id}`);
  const start = async (ns: string, at = runnerHome(), opts: { mayBeRefused?: boolean } = {}) => {
    const r = await startRealRunner(hub.url, token(ns), at, opts);
    runners.push(r);
    return r;
  };
  const onlineFor = async (jwt: string, ns: string, r: RealRunner) => {
    const id = await waitFor(() => r.machineId(), { timeoutMs: 20_000, what: 'machineId in settings.json' });
    await waitFor(async () => (await listed(jwt)).includes(`${ns}/${id}`), { timeoutMs: 30_000, intervalMs: 200, what: `${ns} runner online:\n${r.log()}` });
    return id;
  };

  it('when alice and bob each run a runner in their own HAPI_HOME, then each machine is visible only in its namespace', async () => {
    [a, b] = await Promise.all([start('alice'), start('bob')]);
    const [aid, bid] = await Promise.all([onlineFor(aliceJwt, 'alice', a), onlineFor(bobJwt, 'bob', b)]);
    expect(aid).to.not.equal(bid);
    expect(await listed(aliceJwt)).to.deep.equal([`alice/${aid}`]);
    expect(await listed(bobJwt)).to.deep.equal([`bob/${bid}`]);
  });

  it('when bob reuses alice\'s settings.json (her machine id), then POST /cli/machines is refused 403 and that runner exits', async () => {
    const aid = a.machineId()!;
    const home = mkdtempSync(path.join(os.tmpdir(), 'teamhub-hapi-home-'));
    writeFileSync(path.join(home, 'settings.json'), readFileSync(path.join(a.home, 'settings.json')));
    const direct = await http(hub.url, 'POST', '/cli/machines', { token: token('bob'), body: { id: aid, metadata: { host: 'h', platform: 'linux', happyCliVersion: '0.30.7' } } });
    expect(direct.status).to.equal(403);
    expect(direct.text).to.equal('{"error":"Machine access denied"}');

    const c = await start('bob', runnerHome(home), { mayBeRefused: true });
    // Whether `runner start` reported success first (as against the reference hub) or failure, the daemon
    // must be gone and its log must show the hub's 403.
    await waitFor(() => !processAlive(c.pid()) && /403/.test(c.log()), { timeoutMs: 30_000, intervalMs: 200, what: `refused runner to exit with 403:\n${c.start.out}\n${c.log()}` });
    expect(await listed(bobJwt)).to.not.include(`bob/${aid}`);
    expect(await listed(bobJwt)).to.not.include(`alice/${aid}`);
    expect(await listed(aliceJwt)).to.deep.equal([`alice/${aid}`]);
  });

  it('when bob runs `hapi auth logout` in that HAPI_HOME, then a new machine id registers in bob\'s namespace', async () => {
    const refused = runners.at(-1)!;
    const aid = a.machineId()!;
    const out = await refused.run(['auth', 'logout']);
    expect(out.out).to.contain('Cleared local credentials (token and machineId).');
    expect(refused.machineId()).to.equal(undefined);

    const c2 = await start('bob', runnerHome(refused.home));
    const newId = await onlineFor(bobJwt, 'bob', c2);
    expect(newId).to.not.equal(aid);
    expect(await listed(bobJwt)).to.have.members([`bob/${b.machineId()}`, `bob/${newId}`]);
    expect(await listed(aliceJwt)).to.deep.equal([`alice/${aid}`]);
  });
});
