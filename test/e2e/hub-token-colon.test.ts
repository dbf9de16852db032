import { expect } from 'chai';
import { mkdtempSync, rmSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../helpers/ports.js';
import { startLocalHub, type RunningHub } from '../helpers/local-hub.js';

/** The seed: "the token on the hub must NOT contain a colon ... the hub will trim the suffix and display a warning". */
describe('e2e: a hub token with a colon is trimmed to its base, with one warning', function () {
  this.timeout(180_000);
  const dirs: string[] = [];
  let hub: RunningHub | null = null;

  afterEach(async () => {
    await hub?.stop('SIGTERM');
    hub = null;
  });
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  const tempDir = () => {
    const d = mkdtempSync(path.join(os.tmpdir(), 'teamhub-colon-'));
    dirs.push(d);
    return d;
  };
  const createSession = async (token: string) => {
    const res = await fetch(`${hub!.url}/cli/sessions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ tag: 'colon', metadata: { path: '/p', host: 'h' } }),
    });
    return { status: res.status, json: (await res.json()) as { session?: { namespace: string } } };
  };
  const warnings = (out: string, suffix: string) => out.split('\n').filter((l) => l.includes(`"${suffix}"`) || l.includes(`'${suffix}'`) || l.includes(` ${suffix} `) || l.endsWith(suffix));

  it('when CLI_API_TOKEN=secret:oops, then the hub runs with secret, warns once naming the suffix, and secret:alice works', async () => {
    const base = 'team-secret-token-for-colon-test';
    hub = await startLocalHub({ dataDir: tempDir(), port: await freePort(), env: { CLI_API_TOKEN: `${base}:oops` } });
    expect(hub.baseToken).to.equal(base);
    const warned = warnings(hub.output(), 'oops');
    expect(warned, hub.output()).to.have.length(1);
    expect(warned[0]).to.match(/env/i);
    const alice = await createSession(`${base}:alice`);
    expect(alice.status).to.equal(200);
    expect(alice.json.session?.namespace).to.equal('alice');
    expect((await createSession(`${base}:oops:alice`)).status).to.equal(401);
  });

  it('when the settings file holds secret:oops2, then the hub runs with secret, warns, and rewrites the file to the base token', async () => {
    const dir = tempDir();
    const base = 'file-secret-token-for-colon-test';
    const settings = path.join(dir, 'settings.json');
    writeFileSync(settings, JSON.stringify({ cliApiToken: `${base}:oops2`, keep: 'me' }));
    hub = await startLocalHub({ dataDir: dir, port: await freePort() });
    expect(hub.baseToken).to.equal(base);
    const warned = warnings(hub.output(), 'oops2');
    expect(warned, hub.output()).to.have.length(1);
    expect(warned[0]).to.match(/settings/i);
    expect(JSON.parse(readFileSync(settings, 'utf8'))).to.deep.equal({ cliApiToken: base, keep: 'me' });
    expect((await createSession(`${base}:bob`)).json.session?.namespace).to.equal('bob');
  });
});
