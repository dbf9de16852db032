import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { REPO_ROOT, run } from './run.js';

// js-yaml comes with mocha; it only reads the normalized output of `docker-compose config`.
const yaml = createRequire(import.meta.url)('js-yaml') as { load: (s: string) => unknown };

interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[];
  container_name?: string;
  ports?: unknown[];
  environment?: Record<string, string | null>;
  volumes?: Array<string | { source?: string; target?: string; read_only?: boolean }>;
  depends_on?: Record<string, { condition?: string }>;
  healthcheck?: { test?: string[] };
}

/** Volumes come back as `src:target[:mode]` strings from docker-compose 1.x, objects from v2. */
function volume(v: string | { source?: string; target?: string; read_only?: boolean }): { source?: string; target?: string; readOnly: boolean } {
  if (typeof v !== 'string') return { source: v.source, target: v.target, readOnly: Boolean(v.read_only) };
  const [source, target, mode] = v.split(':');
  return { source, target, readOnly: mode === 'ro' };
}

describe('static: docker-compose.yml', function () {
  this.timeout(60_000);
  let services: Record<string, ComposeService> = {};

  before(() => {
    const { code, output } = run('docker-compose', ['-f', 'docker-compose.yml', 'config']);
    expect(code, output).to.equal(0);
    services = (yaml.load(output) as { services: Record<string, ComposeService> }).services;
  });

  it('when validated with docker-compose config -q, then it is valid', () => {
    const { code, output } = run('docker-compose', ['-f', 'docker-compose.yml', 'config', '-q']);
    expect(code, output).to.equal(0);
  });

  it('when read, then it has mongo, nats, the three services, the gateway and the proxy', () => {
    expect(Object.keys(services)).to.include.members(['mongo', 'nats', 'auth', 'session', 'machine', 'gateway', 'proxy']);
  });

  it('when session and gateway are scaled, then nothing pins them (no container_name, no host ports)', () => {
    for (const name of ['session', 'machine', 'gateway']) {
      expect(services[name]!.container_name, name).to.equal(undefined);
      expect(services[name]!.ports ?? [], name).to.deep.equal([]);
    }
  });

  it('when the services start, then they use Mongo and read the internal secret that auth wrote, read-only', () => {
    for (const name of ['auth', 'session', 'machine', 'gateway']) {
      const svc = services[name]!;
      expect(svc.environment?.TEAMHUB_STORE, name).to.equal('mongo');
      expect(svc.environment?.TEAMHUB_INTERNAL_SECRET_FILE, name).to.equal('/secrets/internal');
      expect(svc.environment?.TEAMHUB_INTERNAL_SECRET, name).to.equal(undefined);
      const secrets = (svc.volumes ?? []).map(volume).find((v) => v.target === '/secrets');
      expect(secrets, name).to.not.equal(undefined);
      expect(secrets!.source, name).to.equal('secrets');
      expect(secrets!.readOnly, name).to.equal(name !== 'auth');
      expect(svc.healthcheck?.test, name).to.be.an('array');
      if (name !== 'auth') expect(svc.depends_on?.auth?.condition, name).to.equal('service_healthy');
    }
  });

  it('when a service runs, then its command names a file that exists in the repo', () => {
    for (const name of ['auth', 'session', 'machine']) {
      const file = services[name]!.command?.at(-1) ?? '';
      expect(existsSync(path.join(REPO_ROOT, file)), `${name}: ${file}`).to.equal(true);
    }
  });

  it('when the proxy starts, then its Caddyfile balances over every gateway replica', () => {
    const caddy = readFileSync(path.join(REPO_ROOT, 'deploy/Caddyfile'), 'utf8');
    expect(caddy).to.match(/dynamic a \{\s*name gateway\s*port 3006/);
  });
});
