import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RpcClient } from '../../../lib/grpc/client.js';
import { MachineServiceService } from '../../../lib/gen/teamhub/machine/v1/machine.js';
import { startMongo, type MongoServer } from '../../helpers/mongo-server.js';
import { startNats, type NatsServer } from '../../helpers/nats-server.js';
import { startProcess, type Started } from '../../helpers/processes.js';
import { nodeEntry } from '../../helpers/node-entry.js';
import { ns } from '../../unit/machine/fakes.js';

const SECRET = 'machine-process-test-secret-0123456789';
const META = JSON.stringify({ host: 'h', platform: 'linux', happyCliVersion: '0.30.7' });

async function runOnce(env: NodeJS.ProcessEnv): Promise<void> {
  let proc: Started | null = null;
  try {
    proc = await startProcess(process.execPath, nodeEntry('services/machine/main'), {
      env: { ...process.env, TEAMHUB_INTERNAL_SECRET: SECRET, TEAMHUB_MACHINE_LISTEN: '127.0.0.1:0', TEAMHUB_LOG_LEVEL: 'warn', ...env },
      ready: /TEAMHUB_READY machine port=\d+/,
      name: 'machine-service',
    });
    const port = /TEAMHUB_READY machine port=(\d+)/.exec(proc.output())![1];
    const client = new RpcClient(MachineServiceService, `127.0.0.1:${port}`, { internalSecret: SECRET });
    try {
      const res = await client.call('registerMachine', { namespace: '', id: 'proc-m1', metadataJson: META, hasRunnerState: false }, { namespace: ns('alice') });
      expect(res.machine!.namespace).to.equal('alice');
      const denied = await client.call('getMachine', { namespace: '', id: 'proc-m1' }, { namespace: ns('bob') }).then(() => null, (e: { code: string }) => e.code);
      expect(denied).to.equal('permission_denied');
    } finally {
      client.close();
    }
    const exited = new Promise<number | null>((resolve) => proc!.proc.once('exit', (code) => resolve(code)));
    proc.proc.kill('SIGTERM');
    expect(await exited).to.equal(0);
  } finally {
    await proc?.stop('SIGKILL');
  }
}

describe('machine service process', function () {
  this.timeout(60_000);
  let nats: NatsServer;
  let mongo: MongoServer;
  let dir: string;

  before(async () => {
    [nats, mongo] = await Promise.all([startNats(), startMongo()]);
    dir = mkdtempSync(path.join(os.tmpdir(), 'teamhub-machine-proc-'));
  });
  after(async () => {
    await Promise.all([nats?.stop(), mongo?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('when started with SQLite, then it prints TEAMHUB_READY, serves calls and exits 0 on SIGTERM', async () => {
    await runOnce({ TEAMHUB_NATS_URL: nats.url, TEAMHUB_STORE: 'sqlite', TEAMHUB_DATA_DIR: dir });
  });

  it('when started with MongoDB, then it prints TEAMHUB_READY, serves calls and exits 0 on SIGTERM', async () => {
    await runOnce({ TEAMHUB_NATS_URL: nats.url, TEAMHUB_STORE: 'mongo', TEAMHUB_MONGO_URL: mongo.url, TEAMHUB_MONGO_DB: mongo.freshDbName() });
  });

  it('when the configuration is invalid, then it exits 1 naming every problem', async () => {
    const err = await startProcess(process.execPath, nodeEntry('services/machine/main'), {
      env: { ...process.env, TEAMHUB_INTERNAL_SECRET: '', TEAMHUB_INTERNAL_SECRET_FILE: '', TEAMHUB_STORE: 'nope' },
      ready: /TEAMHUB_READY/,
      name: 'machine-service',
    }).then(() => null, (e: Error) => e);
    expect(err?.message).to.match(/exited with 1/).and.match(/TEAMHUB_STORE/).and.match(/internal secret|TEAMHUB_INTERNAL_SECRET/);
  });
});
