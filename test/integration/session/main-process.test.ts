import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { RpcClient } from '../../../lib/grpc/client.js';
import { SessionServiceService } from '../../../lib/gen/teamhub/session/v1/session.js';
import type { Namespace } from '../../../lib/namespace.js';
import { startNats, type NatsServer } from '../../helpers/nats-server.js';
import { startProcess, type Started } from '../../helpers/processes.js';
import { nodeEntry } from '../../helpers/node-entry.js';

const SECRET = 'session-main-internal-secret-0123456789';

describe('session service main.ts as a real process', function () {
  this.timeout(60_000);
  let nats: NatsServer;
  let dir: string;
  let proc: Started | undefined;

  before(async () => {
    nats = await startNats();
    dir = mkdtempSync(path.join(os.tmpdir(), 'teamhub-session-main-'));
  });

  after(async () => {
    await proc?.stop('SIGKILL');
    await nats?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('when started with env, then it prints TEAMHUB_READY, serves calls, and exits 0 on SIGTERM', async () => {
    const env = {
      ...process.env,
      TEAMHUB_INTERNAL_SECRET: SECRET,
      TEAMHUB_NATS_URL: nats.url,
      TEAMHUB_SESSION_LISTEN: '127.0.0.1:0',
      TEAMHUB_DATA_DIR: dir,
      TEAMHUB_STORE: 'sqlite',
      TEAMHUB_LOG_LEVEL: 'warn',
    };
    proc = await startProcess(process.execPath, nodeEntry('services/session/main'), { env, ready: /TEAMHUB_READY session port=\d+/, name: 'session' });
    const port = Number(/TEAMHUB_READY session port=(\d+)/.exec(proc.output())![1]);
    const client = new RpcClient(SessionServiceService, `127.0.0.1:${port}`, { internalSecret: SECRET });
    try {
      const res = await client.call('createOrLoadSession', { namespace: 'alice', tag: 't', metadataJson: '{"path":"/p","host":"h"}' }, { namespace: 'alice' as Namespace });
      expect(res.created).to.equal(true);
    } finally {
      client.close();
    }
    const exited = new Promise<number | null>((resolve) => proc!.proc.once('exit', (code) => resolve(code)));
    proc.proc.kill('SIGTERM');
    expect(await exited).to.equal(0);
  });

  it('when the internal secret is missing, then it exits 1 with a clear config error', () => {
    const env = { ...process.env, TEAMHUB_INTERNAL_SECRET: '', TEAMHUB_INTERNAL_SECRET_FILE: '', TEAMHUB_NATS_URL: nats.url, TEAMHUB_DATA_DIR: dir };
    const res = spawnSync(process.execPath, nodeEntry('services/session/main'), { env, encoding: 'utf8', timeout: 30_000 });
    expect(res.status).to.equal(1);
    expect(res.stderr).to.match(/TEAMHUB_INTERNAL_SECRET/);
  });
});
