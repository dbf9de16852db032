import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { REPO_ROOT, run } from './run.js';

// js-yaml comes with mocha; it only reads the normalized output of `docker-compose config`.
const yaml = createRequire(import.meta.url)('js-yaml') as { load: (s: string) => unknown };

type Volume = string | { source?: string; target?: string; read_only?: boolean };

interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[];
  entrypoint?: string[];
  container_name?: string;
  restart?: string;
  init?: boolean;
  ports?: unknown[];
  environment?: Record<string, string | null>;
  volumes?: Volume[];
  depends_on?: Record<string, { condition?: string }>;
  healthcheck?: { test?: string[] };
}

/** Volumes come back as `src:target[:mode]` strings from docker-compose 1.x, objects from v2. */
function volume(v: Volume): { source?: string; target?: string; readOnly: boolean } {
  if (typeof v !== 'string') return { source: v.source, target: v.target, readOnly: Boolean(v.read_only) };
  const [source, target, mode] = v.split(':');
  return { source, target, readOnly: mode === 'ro' };
}

const TEAMHUB = ['auth', 'session', 'machine', 'notify', 'gateway'];
const NATS_NODES = ['nats-1', 'nats-2', 'nats-3'];

describe('static: docker-compose.yml', function () {
  this.timeout(60_000);
  let services: Record<string, ComposeService> = {};
  const mounts = (name: string) => (services[name]!.volumes ?? []).map(volume);

  before(() => {
    // Not run(): its output is cut for display, and the whole normalized file is needed here.
    const res = spawnSync('docker-compose', ['-f', 'docker-compose.yml', 'config'], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(res.status, `${res.stdout}${res.stderr}`).to.equal(0);
    services = (yaml.load(res.stdout) as { services: Record<string, ComposeService> }).services;
  });

  it('when validated with docker-compose config -q, then it is valid', () => {
    const { code, output } = run('docker-compose', ['-f', 'docker-compose.yml', 'config', '-q']);
    expect(code, output).to.equal(0);
  });

  it('when read, then it has the secrets job, mongo, three NATS nodes, the services (notify runs the Telegram bot), the gateway and the proxy', () => {
    expect(Object.keys(services)).to.have.members(['secrets', 'mongo', ...NATS_NODES, ...TEAMHUB, 'proxy']);
  });

  it('when images are named, then fully (docker.io/...), so podman resolves them the way Docker does', () => {
    for (const name of ['mongo', ...NATS_NODES, 'proxy']) expect(services[name]!.image, name).to.match(/^docker\.io\/library\//);
  });

  it('when session and gateway are scaled, then nothing pins them (no container_name, no host ports)', () => {
    for (const name of ['session', 'machine', 'gateway']) {
      expect(services[name]!.container_name, name).to.equal(undefined);
      expect(services[name]!.ports ?? [], name).to.deep.equal([]);
    }
  });

  it('when a process dies, then its restart policy brings it back, and the services run under an init', () => {
    for (const name of ['mongo', ...NATS_NODES, ...TEAMHUB, 'proxy']) expect(services[name]!.restart, name).to.equal('unless-stopped');
    for (const name of TEAMHUB) expect(services[name]!.init, name).to.equal(true);
    expect(services.secrets!.restart, 'the one-shot secrets job').to.equal('no');
  });

  it('when the services start, then they use Mongo and read the internal secret that auth wrote, read-only', () => {
    for (const name of TEAMHUB) {
      const svc = services[name]!;
      expect(svc.environment?.TEAMHUB_STORE, name).to.equal('mongo');
      expect(svc.environment?.TEAMHUB_INTERNAL_SECRET_FILE, name).to.equal('/secrets/internal');
      expect(svc.environment?.TEAMHUB_INTERNAL_SECRET, name).to.equal(undefined);
      const secrets = mounts(name).find((v) => v.target === '/secrets');
      expect(secrets, name).to.not.equal(undefined);
      expect(secrets!.source, name).to.equal('secrets');
      expect(secrets!.readOnly, name).to.equal(name !== 'auth');
      expect(svc.healthcheck?.test, name).to.be.an('array');
      if (name !== 'auth') expect(svc.depends_on?.auth?.condition, name).to.equal('service_healthy');
    }
  });

  it('when NATS and MongoDB start, then with credentials the secrets job generated, each seeing only its own volume', () => {
    for (const name of ['mongo', ...NATS_NODES]) expect(services[name]!.depends_on?.secrets?.condition, name).to.equal('service_completed_successfully');
    expect(mounts('secrets').map((v) => `${v.source}:${v.target}`)).to.have.members(['secrets:/secrets', 'nats-secrets:/nats-secrets', 'mongo-secrets:/mongo-secrets']);
    for (const name of NATS_NODES) {
      expect(mounts(name).filter((v) => v.source?.endsWith('secrets')).map((v) => `${v.source}:${v.target}:${v.readOnly}`), name).to.deep.equal(['nats-secrets:/etc/nats/secrets:true']);
    }
    expect(mounts('mongo').filter((v) => v.source?.endsWith('secrets')).map((v) => `${v.source}:${v.target}:${v.readOnly}`)).to.deep.equal(['mongo-secrets:/mongo-secrets:true']);
    expect(services.mongo!.environment?.MONGO_INITDB_ROOT_PASSWORD_FILE).to.be.a('string');
    expect(services.mongo!.environment?.MONGO_INITDB_ROOT_PASSWORD).to.equal(undefined);
    for (const name of TEAMHUB) {
      const env = services[name]!.environment ?? {};
      expect(env.TEAMHUB_NATS_USER, name).to.equal('teamhub');
      expect(env.TEAMHUB_NATS_PASSWORD_FILE, name).to.equal('/secrets/nats-password');
      expect(env.TEAMHUB_MONGO_USER, name).to.equal('teamhub');
      expect(env.TEAMHUB_MONGO_PASSWORD_FILE, name).to.equal('/secrets/mongo-password');
      for (const [k, v] of Object.entries(env)) expect(/PASSWORD$|SECRET$/.test(k) && v, `${name}: ${k} is set inline`).to.satisfy((x: unknown) => !x);
    }
    const nats = readFileSync(path.join(REPO_ROOT, 'deploy/nats/teamhub.conf'), 'utf8');
    expect(nats).to.match(/include "secrets\/teamhub\.conf"/);
    expect(nats).to.match(/password: \$TEAMHUB_NATS_PASSWORD\b/);
    expect(nats).to.match(/routes: \$TEAMHUB_NATS_ROUTES\b/);
  });

  it('when the services use NATS, then they know all three nodes and keep 3 copies of every stream and bucket', () => {
    for (const name of TEAMHUB) {
      const env = services[name]!.environment ?? {};
      expect(env.TEAMHUB_NATS_URL?.split(','), name).to.deep.equal(NATS_NODES.map((n) => `nats://${n}:4222`));
      expect(env.TEAMHUB_NATS_REPLICAS, name).to.equal('3');
      for (const node of NATS_NODES) expect(services[name]!.depends_on?.[node] ?? services.auth!.depends_on?.[node], `${name} waits for ${node}`).to.deep.include({ condition: 'service_healthy' });
    }
    expect(services.secrets!.environment?.TEAMHUB_NATS_ROUTE_HOSTS?.split(',')).to.deep.equal(NATS_NODES.map((n) => `${n}:6222`));
    for (const node of NATS_NODES) expect(services[node]!.environment?.NATS_SERVER_NAME).to.equal(node);
  });

  it('when a teamhub service runs, then it runs its entry compiled to JavaScript (node dist/<entry>.js, no tsx), from a source in the repo', () => {
    for (const name of TEAMHUB) {
      const command = services[name]!.command ?? [];
      expect(command.length, `${name}: ${command.join(' ')}`).to.equal(2);
      expect(command[0], name).to.equal('node');
      const entry = /^dist\/(.+)\.js$/.exec(command[1] ?? '')?.[1];
      expect(entry, `${name}: ${command.join(' ')}`).to.be.a('string');
      expect(existsSync(path.join(REPO_ROOT, `${entry}.ts`)), `${name}: ${entry}.ts`).to.equal(true);
    }
  });

  it('when the image is built, then it compiles the hub (scripts/build.mjs) and by default runs the compiled gateway', () => {
    // Instructions only: the comments may say what tsx would have done.
    const dockerfile = readFileSync(path.join(REPO_ROOT, 'Dockerfile'), 'utf8').split('\n').filter((l) => !l.trimStart().startsWith('#')).join('\n');
    expect(dockerfile).to.match(/^RUN .*node scripts\/build\.mjs\b/m);
    expect(dockerfile).to.match(/^COPY --from=build \/app\/dist \.\/dist$/m);
    expect(dockerfile).to.match(/^CMD \["node", "dist\/gateway\/main\.js"\]$/m);
    expect(dockerfile).to.not.match(/tsx/);
  });

  it('when a helper runs in a container, then its command or mount names a file that exists in the repo', () => {
    const file = services.secrets!.command?.at(-1) ?? '';
    expect(existsSync(path.join(REPO_ROOT, file)), `secrets: ${file}`).to.equal(true);
    for (const [name, file] of [['mongo', 'deploy/mongo/start.sh'], ['nats-1', 'deploy/nats/teamhub.conf'], ['proxy', 'deploy/Caddyfile']]) {
      expect(mounts(name!).some((v) => v.source === path.join(REPO_ROOT, file!)), `${name} mounts ${file}`).to.equal(true);
    }
  });

  it('when the proxy starts, then its Caddyfile balances over every gateway replica', () => {
    const caddy = readFileSync(path.join(REPO_ROOT, 'deploy/Caddyfile'), 'utf8');
    expect(caddy).to.match(/dynamic a \{\s*name gateway\s*port 3006/);
    expect(caddy).to.match(/lb_policy cookie/);
  });

  it('when the containers tier overrides the file, then only images, the Mongo user, build arguments and a log level change', () => {
    const res = spawnSync('docker-compose', ['-f', 'docker-compose.yml', '-f', 'test/containers/compose.standins.yml', 'config'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      env: { ...process.env, ...Object.fromEntries(['IMAGE', 'INSTALLED_IMAGE', 'MONGO_IMAGE', 'NATS_IMAGE', 'CADDY_IMAGE'].map((k) => [`TEAMHUB_TEST_${k}`, `localhost/x-${k.toLowerCase()}:t`])) },
    });
    expect(res.status, res.stderr).to.equal(0);
    const over = (yaml.load(res.stdout) as { services: Record<string, ComposeService> }).services;
    expect(Object.keys(over)).to.have.members(Object.keys(services));
    for (const [name, svc] of Object.entries(over)) {
      const base = services[name]!;
      expect(svc.volumes ?? [], name).to.have.deep.members(base.volumes ?? []);
      expect(svc.depends_on, name).to.deep.equal(base.depends_on);
      expect(svc.restart, name).to.equal(base.restart);
      if (name !== 'mongo') {
        expect(svc.command, name).to.deep.equal(base.command);
        expect(svc.healthcheck, name).to.deep.equal(base.healthcheck);
      }
      const changed = Object.keys({ ...base.environment, ...svc.environment }).filter((k) => base.environment?.[k] !== svc.environment?.[k]);
      const allowed = name === 'mongo' ? Object.keys(base.environment ?? {}) : ['TEAMHUB_MONGO_USER', 'TEAMHUB_MONGO_PASSWORD_FILE', 'TEAMHUB_LOG_LEVEL'];
      expect(changed.filter((k) => !allowed.includes(k)), `${name} environment`).to.deep.equal([]);
    }
  });
});
