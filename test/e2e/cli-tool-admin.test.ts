import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { http, MACHINE_METADATA, startHub, type Hub } from '../helpers/hub-harness.js';
import { teamhub, tempDir } from './cli-tool-support.js';
import { ADMIN_TOKEN_NEEDED } from '../../cli/commands/admin.js';

describe('teamhub CLI: hub administration (registered namespaces)', function () {
  this.timeout(60_000);
  let hub: Hub;
  let base: string;
  let tokenA = '';
  const run = (args: string[], env: Record<string, string> = {}, home = path.join(base, 'admin')) =>
    teamhub(args, { home, url: hub.url, env });
  const asAdmin = (args: string[]) => run(args, { TEAMHUB_ADMIN_TOKEN: hub.adminToken });

  before(async () => {
    hub = await startHub({ env: { TEAMHUB_NAMESPACE_MODE: 'registered' } });
    base = tempDir('th-cli-e2e-admin-');
  });
  after(async () => {
    await hub?.stop();
    fs.rmSync(base, { recursive: true, force: true });
  });

  it('when the admin creates a namespace, then its token is printed once and the list shows it', async () => {
    const r = await asAdmin(['namespace', 'create', 'team-a', '--label', 'Team A']);
    expect(r.code, r.stderr).to.equal(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).to.equal('Namespace team-a created. Its token (shown once, store it now):');
    tokenA = lines[1]!;
    expect(tokenA.length).to.be.greaterThan(20);
    const list = await asAdmin(['namespace', 'list', '--json']);
    expect(JSON.parse(list.stdout).find((n: { name: string }) => n.name === 'team-a')).to.include({ label: 'Team A', revoked: false });
    const table = await asAdmin(['namespace', 'list']);
    expect(table.stdout).to.match(/^NAME\s+LABEL\s+STATE/);
    expect(table.stdout).to.match(/team-a\s+Team A\s+active/);
  });

  it("when a teammate uses the namespace token, then lists and the own audit log cover that namespace only", async () => {
    const home = path.join(base, 'a');
    await teamhub(['auth', 'login', '--token', tokenA], { home, url: hub.url });
    const m = await run(['machines'], {}, home);
    expect(m.code, m.stderr).to.equal(0);
    expect(m.stdout.trim()).to.equal('No machines in this namespace.');
    const audit = await run(['audit', '--json'], {}, home);
    expect(audit.code, audit.stderr).to.equal(0);
    const entries = JSON.parse(audit.stdout) as { namespace: string | null }[];
    expect(entries.length).to.be.greaterThan(0);
    expect(entries.every((e) => e.namespace === 'team-a')).to.equal(true);
    const refused = await run(['audit', '--namespace', 'other'], {}, home);
    expect(refused.code).to.equal(1);
    expect(refused.stderr).to.match(/--namespace needs the admin token/);
  });

  it('when the admin reads the audit log of one namespace, then only its entries come back', async () => {
    const r = await asAdmin(['audit', '--namespace', 'team-a', '--limit', '20', '--json']);
    expect(r.code, r.stderr).to.equal(0);
    const entries = JSON.parse(r.stdout) as { namespace: string | null }[];
    expect(entries.length).to.be.within(1, 20);
    expect(entries.every((e) => e.namespace === 'team-a')).to.equal(true);
  });

  it('when a namespace token is rotated, then the old token stops working and the new one works', async () => {
    const r = await asAdmin(['namespace', 'rotate', 'team-a']);
    expect(r.code, r.stderr).to.equal(0);
    const fresh = r.stdout.trim().split('\n')[1]!;
    expect(fresh).to.not.equal(tokenA);
    const old = await run(['sessions'], { CLI_API_TOKEN: tokenA });
    expect(old.code).to.equal(1);
    expect(old.stderr).to.match(/^teamhub: POST \/api\/auth failed: HTTP 401 /);
    expect((await run(['sessions'], { CLI_API_TOKEN: fresh })).code).to.equal(0);
    tokenA = fresh;
  });

  it('when a namespace is revoked, then its token is refused', async () => {
    const r = await asAdmin(['namespace', 'revoke', 'team-a']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout.trim()).to.equal('Namespace team-a revoked.');
    expect((await run(['sessions'], { CLI_API_TOKEN: tokenA })).code).to.equal(1);
  });

  it('when the admin forgets a machine id, then the hub frees it', async () => {
    const created = await asAdmin(['namespace', 'create', 'team-b']);
    const tokenB = created.stdout.trim().split('\n')[1]!;
    const mid = `m-${randomUUID()}`;
    const reg = await http(hub.url, 'POST', '/cli/machines', { token: tokenB, body: { id: mid, metadata: MACHINE_METADATA } });
    expect(reg.status).to.equal(200);
    const r = await asAdmin(['machine', 'forget', mid]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout.trim()).to.equal(`Machine ${mid} forgotten.`);
    expect((await http(hub.url, 'GET', `/cli/machines/${mid}`, { token: tokenB })).status).to.equal(404);
  });

  it('when the admin token is missing or wrong, then the command fails with a clear message and the server’s text', async () => {
    const none = await run(['namespace', 'list']);
    expect(none.code).to.equal(1);
    expect(none.stderr).to.equal(`teamhub: ${ADMIN_TOKEN_NEEDED}\n`);
    const wrongFile = path.join(base, 'wrong-admin-token');
    fs.writeFileSync(wrongFile, 'nope\n', { mode: 0o600 });
    const wrong = await run(['namespace', 'list', '--admin-token-file', wrongFile]);
    expect(wrong.code).to.equal(1);
    expect(wrong.stderr).to.match(/^teamhub: GET \/admin\/v1\/namespaces failed: HTTP 40[13] \S/);
    const missing = await run(['namespace', 'list', '--admin-token-file', path.join(base, 'no-such-file')]);
    expect(missing.stderr).to.match(/^teamhub: Cannot read the admin token file .*no-such-file: ENOENT/);
    // The right token from a file works (the way make run keeps it).
    const goodFile = path.join(base, 'admin-token');
    fs.writeFileSync(goodFile, `${hub.adminToken}\n`, { mode: 0o600 });
    const fromFile = await run(['namespace', 'list', '--json', '--admin-token-file', goodFile]);
    expect(fromFile.code, fromFile.stderr).to.equal(0);
    expect(JSON.parse(fromFile.stdout).map((n: { name: string }) => n.name)).to.include('team-a');
    const dup = await asAdmin(['namespace', 'create', 'team-b']);
    expect(dup.code).to.equal(1);
    expect(dup.stderr).to.match(/HTTP 409/);
  });
});
