import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SCRIPT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../deploy/make-secrets.mjs');

describe('deploy/make-secrets.mjs (the compose "secrets" job)', () => {
  let root: string;
  const dirs = () => ({ services: path.join(root, 'secrets'), nats: path.join(root, 'nats'), mongo: path.join(root, 'mongo') });
  const run = (routeHosts = 'nats-1:6222,nats-2:6222,nats-3:6222') => {
    const d = dirs();
    return spawnSync(process.execPath, [SCRIPT], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, TEAMHUB_SECRETS_DIR: d.services, TEAMHUB_NATS_SECRETS_DIR: d.nats, TEAMHUB_MONGO_SECRETS_DIR: d.mongo, TEAMHUB_NATS_ROUTE_HOSTS: routeHosts },
    });
  };
  const read = (...p: string[]) => readFileSync(path.join(root, ...p), 'utf8').trim();

  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'teamhub-make-secrets-'));
    for (const d of Object.values(dirs())) mkdirSync(d);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('when run on empty volumes, then it writes every secret, owner-only, and prints none of them', () => {
    const res = run();
    expect(res.status, res.stderr).to.equal(0);
    const files = [['secrets', 'nats-password'], ['secrets', 'mongo-password'], ['nats', 'route-password'], ['nats', 'teamhub.conf'], ['mongo', 'password'], ['mongo', 'keyfile']];
    for (const f of files) expect(statSync(path.join(root, ...f)).mode & 0o777, f.join('/')).to.equal(0o600);
    for (const f of files.filter((x) => x[1] !== 'teamhub.conf')) {
      const value = read(...f);
      expect(value.length, f.join('/')).to.be.at.least(32);
      expect(res.stdout + res.stderr, `${f.join('/')} printed`).to.not.include(value);
    }
    expect(read('mongo', 'password')).to.equal(read('secrets', 'mongo-password'));
    const conf = read('nats', 'teamhub.conf');
    expect(conf).to.include(`TEAMHUB_NATS_PASSWORD: "${read('secrets', 'nats-password')}"`);
    const route = read('nats', 'route-password');
    expect(conf).to.include(`TEAMHUB_NATS_ROUTES: ["nats-route://route:${route}@nats-1:6222", "nats-route://route:${route}@nats-2:6222", "nats-route://route:${route}@nats-3:6222"]`);
    expect(res.stdout).to.match(/wrote nats-password, nats route-password, mongo-password, mongo keyfile/);
  });

  it('when run again (a restart, a second up), then every value stays as it was', () => {
    expect(run().status).to.equal(0);
    const before = ['nats-password', 'mongo-password'].map((f) => read('secrets', f)).concat(read('nats', 'teamhub.conf'), read('mongo', 'keyfile'));
    const again = run();
    expect(again.status).to.equal(0);
    expect(again.stdout).to.include('every secret already there');
    expect(['nats-password', 'mongo-password'].map((f) => read('secrets', f)).concat(read('nats', 'teamhub.conf'), read('mongo', 'keyfile'))).to.deep.equal(before);
  });

  it('when a volume is not mounted or a route host is malformed, then it fails with the reason', () => {
    rmSync(dirs().mongo, { recursive: true });
    const missing = run();
    expect(missing.status).to.equal(1);
    expect(missing.stderr).to.include('is not mounted');
    mkdirSync(dirs().mongo);
    const bad = run('nats-1:6222,not a host');
    expect(bad.status).to.equal(1);
    expect(bad.stderr).to.include('is not host:port');
  });
});
