import { expect } from 'chai';
import { mkdtempSync, readFileSync, writeFileSync, statSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SqliteAuthStore } from '../../../services/auth/store-sqlite.js';
import { HubTokenError, isWeakToken, normalizeHubToken, settingsFileToken } from '../../../services/auth/hub-token.js';
import { resolveSecrets } from '../../../services/auth/secrets.js';
import { silentLog } from './fixtures.js';

function tmpDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'teamhub-auth-unit-'));
}

function baseOpts(dir: string) {
  return {
    envBaseToken: undefined as string | undefined,
    settingsFile: path.join(dir, 'settings.json'),
    adminTokenOverride: undefined as string | undefined,
    internalSecretOverride: undefined as string | undefined,
    internalSecretFile: undefined as string | undefined,
    announceSecrets: false,
  };
}

function capture() {
  const err: string[] = [];
  const out: string[] = [];
  return { io: { stderr: (l: string) => err.push(l), stdout: (l: string) => out.push(l) }, err, out };
}

describe('hub token with a colon', () => {
  it('when the env token is base:oops, then the base is used with one warning naming env and the suffix', () => {
    const r = normalizeHubToken('my-team-secret-token:oops', 'env');
    expect(r.token).to.equal('my-team-secret-token');
    expect(r.warning).to.equal('CLI_API_TOKEN from env includes namespace suffix "oops"; using the base token only');
  });

  it('when the token has outer whitespace and several colons, then trimmed and split on the last colon', () => {
    expect(normalizeHubToken('  a:b:c  ', 'env')).to.deep.include({ token: 'a:b' });
  });

  it('when the token is unparsable with a colon (base:, base :x), then the part before the last colon is used', () => {
    expect(normalizeHubToken('base-token-long-enough:', 'env').token).to.equal('base-token-long-enough');
    expect(normalizeHubToken('base-token-long-enough :x', 'env').token).to.equal('base-token-long-enough');
  });

  it('when nothing precedes the colon (":alice"), then it refuses to start with a clear message', () => {
    expect(() => normalizeHubToken(':alice', 'env')).to.throw(HubTokenError, /CLI_API_TOKEN from env has no base token/);
    expect(() => normalizeHubToken('   ', 'settings file')).to.throw(HubTokenError, /empty/);
  });

  it('when the token has no colon, then it is used as is, without a warning', () => {
    expect(normalizeHubToken(' plain-token ', 'env')).to.deep.equal({ token: 'plain-token' });
  });

  it('when the settings file holds base:alice, then it is rewritten with the base token and other keys are kept', () => {
    const dir = tmpDir();
    const file = path.join(dir, 'settings.json');
    writeFileSync(file, JSON.stringify({ listenPort: 3907, cliApiToken: 'filetoken-long-enough-123:alice' }), { mode: 0o600 });
    const r = settingsFileToken(file);
    expect(r?.token).to.equal('filetoken-long-enough-123');
    expect(r?.warning).to.equal('CLI_API_TOKEN from settings file includes namespace suffix "alice"; using the base token only');
    expect(JSON.parse(readFileSync(file, 'utf8'))).to.deep.equal({ listenPort: 3907, cliApiToken: 'filetoken-long-enough-123' });
    expect(statSync(file).mode & 0o777).to.equal(0o600);
  });

  it('when the settings file is absent, has no token, or is not JSON, then undefined / undefined / a clear error', () => {
    const dir = tmpDir();
    expect(settingsFileToken(path.join(dir, 'none.json'))).to.equal(undefined);
    writeFileSync(path.join(dir, 'a.json'), '{"listenPort":1}');
    expect(settingsFileToken(path.join(dir, 'a.json'))).to.equal(undefined);
    writeFileSync(path.join(dir, 'b.json'), '{oops');
    expect(() => settingsFileToken(path.join(dir, 'b.json'))).to.throw(HubTokenError, /not valid JSON/);
  });

  it('when a token is short or trivial, then it is weak', () => {
    for (const t of ['base', 'token', 'short', 'x'.repeat(40), 'password']) expect(isWeakToken(t), t).to.equal(true);
    expect(isWeakToken('GYH9ZiLHDpFYA4b1pO3euURFj9Cd7ycBjfHKJBLQFz8')).to.equal(false);
  });
});

describe('hub secrets resolution', () => {
  it('when nothing is configured, then a 43-char token is generated, bannered once, and kept across restarts', async () => {
    const dir = tmpDir();
    const store = await SqliteAuthStore.open(path.join(dir, 'auth.db'));
    const first = capture();
    const s1 = await resolveSecrets(store, baseOpts(dir), silentLog, first.io);
    expect(s1.baseToken).to.match(/^[A-Za-z0-9_-]{43}$/);
    expect(s1.adminToken).to.match(/^[A-Za-z0-9_-]{43}$/);
    expect(s1.jwtKey.length).to.equal(32);
    expect(s1.ownerId).to.be.within(1, 2 ** 31 - 1);
    expect(first.err.join('\n')).to.contain('NEW CLI_API_TOKEN GENERATED').and.contain(s1.baseToken);
    const second = capture();
    const s2 = await resolveSecrets(store, baseOpts(dir), silentLog, second.io);
    expect(s2).to.deep.equal(s1);
    expect(second.err.join('\n')).not.to.contain('GENERATED');
  });

  it('when env, settings file and store all hold a token, then env wins, then the settings file, then the store', async () => {
    const dir = tmpDir();
    const store = await SqliteAuthStore.open(':memory:');
    writeFileSync(path.join(dir, 'settings.json'), JSON.stringify({ cliApiToken: 'settings-token-0123456789' }));
    const withEnv = await resolveSecrets(store, { ...baseOpts(dir), envBaseToken: 'env-token-0123456789:oops' }, silentLog, capture().io);
    expect(withEnv).to.include({ baseToken: 'env-token-0123456789', baseTokenSource: 'env' });
    const fromFile = await resolveSecrets(store, baseOpts(dir), silentLog, capture().io);
    expect(fromFile).to.include({ baseToken: 'settings-token-0123456789', baseTokenSource: 'settings file' });
    const bare = await resolveSecrets(store, { ...baseOpts(dir), settingsFile: path.join(dir, 'none.json') }, silentLog, capture().io);
    expect(bare.baseTokenSource).to.equal('store');
    expect(bare.baseToken).not.to.equal(withEnv.baseToken);
  });

  it('when the env token has a suffix, then one warning names env and the suffix on stderr', async () => {
    const dir = tmpDir();
    const c = capture();
    await resolveSecrets(await SqliteAuthStore.open(':memory:'), { ...baseOpts(dir), envBaseToken: 'base:oops' }, silentLog, c.io);
    expect(c.err.filter((l) => l.includes('namespace suffix'))).to.deep.equal([
      '[WARN] CLI_API_TOKEN from env includes namespace suffix "oops"; using the base token only',
    ]);
    expect(c.err.join('\n')).to.contain('appears to be weak');
  });

  it('when overrides and a secret file are configured, then they apply, the file is 0600, and only the base token is announced', async () => {
    const dir = tmpDir();
    const c = capture();
    const file = path.join(dir, 'run', 'internal-secret');
    const s = await resolveSecrets(
      await SqliteAuthStore.open(':memory:'),
      { ...baseOpts(dir), adminTokenOverride: 'admin-override-0123456789', internalSecretOverride: 'internal-override-0123', internalSecretFile: file, announceSecrets: true },
      silentLog,
      c.io,
    );
    expect(s).to.include({ adminToken: 'admin-override-0123456789', internalSecret: 'internal-override-0123' });
    expect(readFileSync(file, 'utf8').trim()).to.equal('internal-override-0123');
    expect(statSync(file).mode & 0o777).to.equal(0o600);
    // The operator chose the admin token: it is never printed.
    expect(c.out).to.deep.equal([`TEAMHUB_BASE_TOKEN=${s.baseToken}`]);
    expect(existsSync(path.join(dir, 'settings.json'))).to.equal(false);
  });

  it('when the admin token is generated, then it is announced on that start only and kept in its 0600 file', async () => {
    const dir = tmpDir();
    const store = await SqliteAuthStore.open(':memory:');
    const adminTokenFile = path.join(dir, 'admin-token');
    const opts = { ...baseOpts(dir), announceSecrets: true, adminTokenFile };
    const first = capture();
    const s = await resolveSecrets(store, opts, silentLog, first.io);
    expect(first.out).to.deep.equal([`TEAMHUB_BASE_TOKEN=${s.baseToken}`, `TEAMHUB_ADMIN_TOKEN=${s.adminToken}`, `TEAMHUB_ADMIN_TOKEN_FILE=${adminTokenFile}`]);
    expect(readFileSync(adminTokenFile, 'utf8').trim()).to.equal(s.adminToken);
    expect(statSync(adminTokenFile).mode & 0o777).to.equal(0o600);

    const again = capture();
    const s2 = await resolveSecrets(store, opts, silentLog, again.io);
    expect(s2.adminToken).to.equal(s.adminToken);
    expect(again.out).to.deep.equal([`TEAMHUB_BASE_TOKEN=${s.baseToken}`, `TEAMHUB_ADMIN_TOKEN_FILE=${adminTokenFile}`]);
    expect(again.err.join('\n')).to.not.include(s.adminToken);
  });
});
