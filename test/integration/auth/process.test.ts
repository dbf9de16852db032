import { expect } from 'chai';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { RpcClient } from '../../../lib/grpc/client.js';
import { AuthServiceService } from '../../../lib/gen/teamhub/auth/v1/auth.js';
import { startNats, type NatsServer } from '../../helpers/nats-server.js';
import { freePort } from '../../helpers/ports.js';
import { startProcess, type Started } from '../../helpers/processes.js';
import { nodeEntry } from '../../helpers/node-entry.js';


function announced(out: string, key: string): string {
  const m = new RegExp(`^${key}=(\\S+)$`, 'm').exec(out);
  if (!m) throw new Error(`${key} not announced in:\n${out}`);
  return m[1]!;
}

describe('auth service process (node services/auth/main.ts)', () => {
  let nats: NatsServer;
  let dataDir: string;
  let secretFile: string;
  const running: Started[] = [];

  before(async () => {
    nats = await startNats();
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'teamhub-auth-proc-'));
    secretFile = path.join(dataDir, 'run', 'internal-secret');
  });
  after(async () => {
    for (const p of running) await p.stop();
    await nats?.stop();
  });

  function env(port: number, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    const e: NodeJS.ProcessEnv = {
      ...process.env,
      TEAMHUB_NATS_URL: nats.url,
      TEAMHUB_DATA_DIR: dataDir,
      TEAMHUB_AUTH_LISTEN: `127.0.0.1:${port}`,
      TEAMHUB_ANNOUNCE_SECRETS: '1',
      TEAMHUB_INTERNAL_SECRET_FILE: secretFile,
      TEAMHUB_LOG_LEVEL: 'warn',
      ...extra,
    };
    for (const k of ['CLI_API_TOKEN', 'TEAMHUB_INTERNAL_SECRET', 'TEAMHUB_ADMIN_TOKEN', 'TEAMHUB_STORE', 'TEAMHUB_SETTINGS_FILE']) {
      if (!(k in extra)) delete e[k];
    }
    return e;
  }

  async function start(extra: NodeJS.ProcessEnv = {}): Promise<{ proc: Started; port: number }> {
    const port = await freePort();
    const proc = await startProcess('node', nodeEntry('services/auth/main'), { env: env(port, extra), ready: /TEAMHUB_READY auth port=\d+/, name: 'auth', timeoutMs: 30000 });
    running.push(proc);
    return { proc, port };
  }

  it('when started twice on the same data dir, then the same base token is announced and the secret file is 0600', async () => {
    const first = await start();
    const out1 = first.proc.output();
    const token1 = announced(out1, 'TEAMHUB_BASE_TOKEN');
    expect(token1).to.match(/^[A-Za-z0-9_-]{43}$/);
    expect(out1).to.contain('NEW CLI_API_TOKEN GENERATED');
    expect(out1.indexOf('TEAMHUB_BASE_TOKEN=')).to.be.lessThan(out1.indexOf('TEAMHUB_READY'));
    expect(statSync(secretFile).mode & 0o777).to.equal(0o600);
    const secret = readFileSync(secretFile, 'utf8').trim();

    const client = new RpcClient(AuthServiceService, `127.0.0.1:${first.port}`, { internalSecret: secret });
    try {
      const res = await client.call('resolveAccessToken', { accessToken: `${token1}:alice`, clientAddr: '127.0.0.1', surface: 'cli' }, { hub: true });
      expect(res.namespace).to.equal('alice');
    } finally {
      client.close();
    }
    await first.proc.stop();

    const second = await start();
    const out2 = second.proc.output();
    expect(announced(out2, 'TEAMHUB_BASE_TOKEN')).to.equal(token1);
    // The admin token is announced when it is generated, never again.
    const admin1 = announced(out1, 'TEAMHUB_ADMIN_TOKEN');
    expect(admin1).to.match(/^[A-Za-z0-9_-]{43}$/);
    expect(out2).not.to.contain(admin1);
    expect(out2).not.to.contain('NEW CLI_API_TOKEN GENERATED');
    expect(readFileSync(secretFile, 'utf8').trim()).to.equal(secret);
    await second.proc.stop();
  });

  it('when CLI_API_TOKEN has a suffix, then the base is used with one warning; the settings file is rewritten', async () => {
    const viaEnv = await start({ CLI_API_TOKEN: 'env-token-long-enough-0123:oops' });
    expect(announced(viaEnv.proc.output(), 'TEAMHUB_BASE_TOKEN')).to.equal('env-token-long-enough-0123');
    expect(viaEnv.proc.output()).to.contain('CLI_API_TOKEN from env includes namespace suffix "oops"; using the base token only');
    await viaEnv.proc.stop();

    const settings = path.join(dataDir, 'settings.json');
    writeFileSync(settings, JSON.stringify({ cliApiToken: 'file-token-long-enough-0123:alice', other: 1 }));
    const viaFile = await start();
    expect(announced(viaFile.proc.output(), 'TEAMHUB_BASE_TOKEN')).to.equal('file-token-long-enough-0123');
    expect(viaFile.proc.output()).to.contain('CLI_API_TOKEN from settings file includes namespace suffix "alice"');
    expect(JSON.parse(readFileSync(settings, 'utf8'))).to.deep.equal({ cliApiToken: 'file-token-long-enough-0123', other: 1 });
    await viaFile.proc.stop();
  });

  it('when CLI_API_TOKEN is ":alice", then it refuses to start with a clear message and exit code 1', async () => {
    const res = spawnSync('node', nodeEntry('services/auth/main'), { env: env(await freePort(), { CLI_API_TOKEN: ':alice' }), encoding: 'utf8', timeout: 30000 });
    expect(res.status).to.equal(1);
    expect(res.stderr).to.contain('CLI_API_TOKEN from env has no base token');
    expect(res.stdout).not.to.contain('TEAMHUB_READY');
  });
});
