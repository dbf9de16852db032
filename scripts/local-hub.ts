/**
 * The one-machine hub: a local nats-server with JetStream, then the processes of hub-processes.ts
 * (auth, then session and machine, then the gateway), each a child process on loopback running
 * the JavaScript that scripts/build.mjs compiled into dist/. Every child is supervised: one that
 * dies is restarted on the same addresses while the others keep serving (supervised-child.ts).
 * `scripts/run-local.ts` (what `make run` runs) is a thin CLI around `startLocalHub`; tests start
 * the launcher itself (test/helpers/local-hub.ts), so they run the hub exactly as `make run` does.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { hubProcessesFor, type HubProcess } from './hub-processes.js';
import { colorize } from './log-format.js';
import { BACKUP_NATS_USER, NATS_AUTH_DIR } from '../lib/ops/hub-state.js';
import { BUS_ACCESS, type BusAccess, writeBusCredentials } from './nats-access.js';
import { DEFAULT_RESTART_POLICY, type RestartPolicy } from './restart-policy.js';
import { StartupError, SupervisedChild, type ChildFailure, type ChildSpec } from './supervised-child.js';

export { describeExit, killAllChildren, StartupError, type ChildFailure } from './supervised-child.js';

/** The repository: the nearest folder with a package.json above this file (scripts/ or dist/scripts/). */
function findRepoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('cannot find the repository root (no package.json above scripts/)');
    dir = up;
  }
  return dir;
}

export const REPO_ROOT = findRepoRoot();

export interface LocalHubOptions {
  /** Where every service keeps its data (`<dir>/<svc>.db`, `<dir>/nats`, `<dir>/internal-secret`). */
  dataDir: string;
  /** Gateway listen host and port (HAPI_LISTEN_HOST / HAPI_LISTEN_PORT); port 0 picks one, kept across restarts. */
  host: string;
  port: number;
  /** Environment handed to every child (the launcher adds addresses and paths on top). */
  env: NodeJS.ProcessEnv;
  /** Receives every child's output line, already prefixed and shortened, and the launcher's own notices. */
  print: (line: string) => void;
  color?: boolean;
  /** How long a child may take to report ready, at start and after each restart. */
  readyTimeoutMs?: number;
  /** When a child that died is restarted, and when the hub gives up on it. */
  restart?: RestartPolicy;
  /** Aborting it during startup stops what was started and rejects with StartupError('interrupted'). */
  signal?: AbortSignal;
}

export interface LocalHub {
  url: string;
  dataDir: string;
  /** Where each process serves its metrics (empty with TEAMHUB_METRICS_LISTEN=off). */
  metrics: { name: string; url: string }[];
  /** As announced by the auth service (TEAMHUB_BASE_TOKEN=...), or CLI_API_TOKEN when it announced none. */
  baseToken: string | undefined;
  /** Only when the auth service generated it at this start (it is announced once). */
  adminToken: string | undefined;
  /** Where the admin token is kept (0600), for the `teamhub` CLI and the operator. */
  adminTokenFile: string | undefined;
  /** nats-server's address (its clients need a user and password from `<dataDir>/nats-auth`). */
  natsUrl: string;
  /** The children, in start order (nats first), with their current pid and restart count. */
  children: () => { name: string; pid: number | undefined; restarts: number }[];
  /** Resolves when a child crashed in a loop and was given up on (never resolves after stop()). */
  failed: Promise<ChildFailure>;
  /** Stops the children in reverse start order: SIGTERM, then SIGKILL after `graceMs`. */
  stop: (graceMs?: number) => Promise<void>;
}

/**
 * A free TCP port on loopback, for a child that binds it right after and binds it again when it is
 * restarted. It is taken below the kernel's ephemeral range: a port from that range (what
 * `listen(0)` gives) can be taken, while its service is down, as the local end of any outgoing
 * connection on the machine, and the restarted service would then fail with EADDRINUSE.
 */
export async function freeLoopbackPort(): Promise<number> {
  const [lowest, highest] = loopbackPortRange();
  if (highest - lowest >= 99) {
    for (let attempt = 0; attempt < 50; attempt++) {
      const port = lowest + Math.floor(Math.random() * (highest - lowest + 1));
      if ((await listenOnce(port)) === port) return port;
    }
  }
  return listenOnce(0);
}

let portRange: [number, number] | null = null;

/**
 * Where the ports are picked: TEAMHUB_LOOPBACK_PORTS=<low>-<high> when set (at least 100 ports,
 * within 1024-65535), else from 10000 to just below the ephemeral range. Two hubs, or two test
 * shards, given ranges apart never pick the same port. Read once per process.
 */
export function loopbackPortRange(): [number, number] {
  if (portRange) return portRange;
  const raw = process.env.TEAMHUB_LOOPBACK_PORTS;
  if (raw === undefined || raw === '') return (portRange = [10_000, ephemeralPortsStart() - 1]);
  const m = /^(\d+)-(\d+)$/.exec(raw.trim());
  const [low, high] = m ? [Number(m[1]), Number(m[2])] : [NaN, NaN];
  if (!(low >= 1024 && high <= 65_535 && high - low >= 99)) {
    throw new StartupError(`TEAMHUB_LOOPBACK_PORTS must be <low>-<high> with at least 100 ports within 1024-65535 (e.g. 20000-20999), got ${JSON.stringify(raw)}`);
  }
  return (portRange = [low, high]);
}

/** The first port of the kernel's ephemeral range (Linux's default when it cannot be read). */
function ephemeralPortsStart(): number {
  try {
    const first = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(first) && first > 0 ? first : 32_768;
  } catch {
    return 32_768;
  }
}

/** Binds `port` on loopback and lets it go: the port it got, or 0 when it was taken. */
function listenOnce(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', (err: NodeJS.ErrnoException) => (port !== 0 && err.code === 'EADDRINUSE' ? resolve(0) : reject(err)));
    srv.listen(port, '127.0.0.1', () => {
      const addr = srv.address();
      const got = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(got));
    });
  });
}

/**
 * `<data dir>/hub.json` while the hub runs: the launcher's pid and where its nats-server and
 * metrics listeners are (their ports change at each start), for tools that work on a running hub
 * (`teamhub backup`). Removed when the hub stops.
 */
export const RUNTIME_FILE = 'hub.json';

export interface RuntimeInfo {
  pid: number;
  natsUrl: string;
  metrics: { name: string; url: string }[];
}

function writeRuntimeFile(dataDir: string, info: RuntimeInfo): void {
  writeFileSync(path.join(dataDir, RUNTIME_FILE), `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
}

/**
 * The data dir holds every service's database, the internal secret, the admin token and the NATS
 * passwords: it is created 0700, and an existing one that others can read is narrowed to 0700.
 */
function makePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = statSync(dir);
  if ((st.mode & 0o077) !== 0 && typeof process.getuid === 'function' && st.uid === process.getuid()) chmodSync(dir, 0o700);
}

/** Refuses a second launcher on the same data dir (two writers on one SQLite file set would be a mess). */
function takeLock(dataDir: string): () => void {
  const file = path.join(dataDir, 'launcher.pid');
  if (existsSync(file)) {
    const pid = Number(readFileSync(file, 'utf8').trim());
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid) {
      let alive = false;
      try {
        process.kill(pid, 0);
        alive = true;
      } catch {
        alive = false;
      }
      if (alive) throw new StartupError(`another teamhub launcher (pid ${pid}) is using ${dataDir}; stop it first`);
    }
  }
  writeFileSync(file, `${process.pid}\n`);
  return () => {
    try {
      if (readFileSync(file, 'utf8').trim() === String(process.pid)) rmSync(file);
    } catch {
      // gone already
    }
  };
}

/**
 * Compiles the hub into dist/ when a source is newer than the last build (scripts/build.mjs; a
 * few milliseconds when nothing changed), so every way of starting the launcher runs current code.
 */
export function ensureBuilt(print: (line: string) => void): void {
  const res = spawnSync(process.execPath, [path.join(REPO_ROOT, 'scripts', 'build.mjs')], { cwd: REPO_ROOT, encoding: 'utf8' });
  const output = `${res.stdout ?? ''}${res.stderr ?? ''}`.trim();
  if (res.status !== 0) throw new StartupError(`the hub did not compile (node scripts/build.mjs):\n${output || res.error?.message || `exit ${res.status}`}`);
  if (output) for (const line of output.split('\n')) print(line);
}

/** The compiled entry point of a hub process; refuses early when its source is missing. */
function compiledEntry(p: HubProcess): string {
  if (!existsSync(path.join(REPO_ROOT, `${p.entry}.ts`))) throw new StartupError(`${p.entry}.ts does not exist (yet); cannot start the hub`);
  const file = path.join(REPO_ROOT, 'dist', `${p.entry}.js`);
  if (!existsSync(file)) throw new StartupError(`dist/${p.entry}.js is missing; run \`npm run build\``);
  return file;
}

function withoutUndefined(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined));
}

/** Starts the whole hub; on any startup failure stops what it started and throws StartupError. */
export async function startLocalHub(opts: LocalHubOptions): Promise<LocalHub> {
  const dataDir = path.resolve(opts.dataDir);
  const readyTimeoutMs = opts.readyTimeoutMs ?? 90_000;
  const policy = opts.restart ?? DEFAULT_RESTART_POLICY;
  makePrivateDir(dataDir);
  mkdirSync(path.join(dataDir, 'nats'), { recursive: true, mode: 0o700 });
  const releaseLock = takeLock(dataDir);

  const started: SupervisedChild[] = [];
  let stopping = false;
  let reportFailure: (f: ChildFailure) => void = () => {};
  const failed = new Promise<ChildFailure>((resolve) => {
    reportFailure = resolve;
  });

  const stopAll = async (graceMs = 10_000): Promise<void> => {
    stopping = true;
    for (const c of [...started].reverse()) await c.stop(graceMs);
    rmSync(path.join(dataDir, RUNTIME_FILE), { force: true });
    releaseLock();
  };

  /** `hosted`: the services this child runs, whose log lines are shown under their own names. */
  const launch = (spec: Omit<ChildSpec, 'cwd'>, hosted: string[] = []): SupervisedChild => {
    const color = started.length;
    const labelOf = (name: string) => colorize(name.padEnd(7), color, opts.color ?? false);
    const own = labelOf(spec.name);
    const child = new SupervisedChild(
      { ...spec, cwd: REPO_ROOT },
      {
        print: (line, logService) => {
          // A hosted service's log lines name it; so does its ready line.
          const service = logService ?? /^TEAMHUB_READY (\S+)/.exec(line)?.[1];
          const label = service && hosted.includes(service) ? labelOf(service) : own;
          opts.print(`${label} | ${line.split('\n').join(`\n${label} | `)}`);
        },
        notice: (line) => opts.print(`teamhub: ${line}`),
        gaveUp: (f) => {
          if (!stopping) reportFailure(f);
        },
        policy,
        readyTimeoutMs,
      },
    );
    started.push(child);
    child.start();
    return child;
  };

  const interrupted = new Promise<never>((_, reject) => {
    const fire = () => reject(new StartupError('interrupted'));
    if (opts.signal?.aborted) fire();
    else opts.signal?.addEventListener('abort', fire, { once: true });
  });
  interrupted.catch(() => {});
  /** Waits for the child's first ready line; from then on it is supervised. */
  const ready = async (child: SupervisedChild): Promise<RegExpMatchArray> => {
    const m = await Promise.race([child.waitReady(readyTimeoutMs), interrupted]);
    child.supervise();
    return m;
  };

  try {
    ensureBuilt(opts.print);
    const processes = hubProcessesFor(opts.env);
    const entries = new Map(processes.map((p) => [p.name, compiledEntry(p)]));

    // A NATS user per process, with only the subjects it needs (nats-access.ts); fresh passwords
    // every start, in files the processes read (never on a command line or in the environment).
    // `teamhub backup` gets a user of its own too (it reads two KV buckets of a running hub).
    const busUsers = new Map<string, BusAccess>([...processes.map((p): [string, BusAccess] => [p.name, p.bus]), [BACKUP_NATS_USER, BUS_ACCESS.backup]]);
    const bus = writeBusCredentials(path.join(dataDir, NATS_AUTH_DIR), busUsers);
    const natsPort = await freeLoopbackPort();
    const nats = launch({
      name: 'nats',
      cmd: 'nats-server',
      args: ['-c', bus.configFile, '-a', '127.0.0.1', '-p', String(natsPort), '-js', '-sd', path.join(dataDir, 'nats'), '-n', 'teamhub-local'],
      env: withoutUndefined(opts.env),
      ready: /Server is ready/,
      quietUntilReady: true,
    });
    await ready(nats).catch((err: unknown) => {
      if (err instanceof StartupError && err.failure?.code === 127) {
        throw new StartupError('nats-server is not installed: run `make run` (it installs it) or `apt-get install -y nats-server`', err.failure);
      }
      throw err;
    });

    // Every address is picked once, here, and handed to every process: a restarted child binds
    // the same one, and the others' clients (gRPC retries, NATS reconnects) find it again.
    const addresses: Record<string, string> = {};
    const listenOf = new Map<string, string>();
    const served = (p: HubProcess) => p.hosts ?? [p];
    for (const m of processes.flatMap(served)) {
      if (!m.listenEnv) continue;
      const address = `127.0.0.1:${await freeLoopbackPort()}`;
      listenOf.set(m.name, address);
      if (m.dialEnv) addresses[m.dialEnv] = address;
    }
    // Each process serves its own /metrics on a loopback port of its own, picked once like the
    // gRPC addresses (TEAMHUB_METRICS_LISTEN=off: none). The banner says where to scrape.
    const metricsOff = opts.env.TEAMHUB_METRICS_LISTEN?.trim().toLowerCase() === 'off';
    if (!metricsOff && opts.env.TEAMHUB_METRICS_LISTEN?.trim()) {
      throw new StartupError('TEAMHUB_METRICS_LISTEN: make run gives every process a loopback metrics port of its own; leave it unset, or set it to off');
    }
    const metricsOf = new Map<string, string>();
    if (!metricsOff) for (const p of processes) metricsOf.set(p.name, `127.0.0.1:${await freeLoopbackPort()}`);
    const common: NodeJS.ProcessEnv = {
      ...opts.env,
      TEAMHUB_NATS_URL: `nats://127.0.0.1:${natsPort}`,
      TEAMHUB_DATA_DIR: dataDir,
      TEAMHUB_STORE: opts.env.TEAMHUB_STORE || 'sqlite',
      TEAMHUB_INTERNAL_SECRET_FILE: opts.env.TEAMHUB_INTERNAL_SECRET_FILE || path.join(dataDir, 'internal-secret'),
      TEAMHUB_ADMIN_TOKEN_FILE: opts.env.TEAMHUB_ADMIN_TOKEN_FILE || path.join(dataDir, 'admin-token'),
      ...addresses,
    };

    const byName = new Map<string, SupervisedChild>();
    let httpPort: string | undefined;
    const waves = [...new Set(processes.map((p) => p.wave))].sort((a, b) => a - b);
    for (const wave of waves) {
      const members = processes.filter((p) => p.wave === wave);
      const children = members.map((p) => {
        const env: NodeJS.ProcessEnv = { ...common, ...Object.assign({}, ...served(p).map((m) => m.env)), ...p.env, TEAMHUB_NATS_USER: p.name, TEAMHUB_NATS_PASSWORD_FILE: bus.passwordFiles.get(p.name) };
        for (const m of served(p)) if (m.listenEnv) env[m.listenEnv] = listenOf.get(m.name);
        env.TEAMHUB_METRICS_LISTEN = metricsOf.get(p.name) ?? 'off';
        if (p.http) Object.assign(env, { HAPI_LISTEN_HOST: opts.host, HAPI_LISTEN_PORT: String(opts.port) });
        const child = launch({
          name: p.name,
          cmd: process.execPath,
          args: [...(p.nodeFlags ?? []), entries.get(p.name)!],
          env: withoutUndefined(env),
          ready: new RegExp(`^TEAMHUB_READY ${p.name}(?: port=(\\d+))?`),
        }, p.hosts?.map((m) => m.name));
        byName.set(p.name, child);
        return child;
      });
      const matches = await Promise.all(children.map(ready));
      members.forEach((p, i) => {
        if (!p.http) return;
        httpPort ??= matches[i]![1];
        // Port 0 means "any": pin the one it got, so a restart comes back on the URL in the banner.
        children[i]!.spec.env.HAPI_LISTEN_PORT = matches[i]![1];
      });
    }
    if (!httpPort) throw new StartupError('no process of the hub serves HTTP (hub-processes.ts has none with http: true)');

    // The process that runs auth (on its own or hosted) printed the generated tokens.
    const authProcess = processes.find((p) => served(p).some((m) => m.name === 'auth'));
    const auth = authProcess && byName.get(authProcess.name);
    const metrics = [...metricsOf].map(([name, address]) => ({ name, url: `http://${address}/metrics` }));
    const natsUrl = `nats://127.0.0.1:${natsPort}`;
    writeRuntimeFile(dataDir, { pid: process.pid, natsUrl, metrics });
    const shownHost = opts.host === '0.0.0.0' || opts.host === '::' ? '127.0.0.1' : opts.host.includes(':') ? `[${opts.host}]` : opts.host;
    return {
      url: `http://${shownHost}:${httpPort}`,
      dataDir,
      metrics,
      baseToken: auth?.capturedValue('TEAMHUB_BASE_TOKEN') ?? (opts.env.CLI_API_TOKEN?.trim() || undefined),
      adminToken: auth?.capturedValue('TEAMHUB_ADMIN_TOKEN'),
      adminTokenFile: auth?.capturedValue('TEAMHUB_ADMIN_TOKEN_FILE'),
      natsUrl,
      children: () => started.map((c) => ({ name: c.name, pid: c.pid, restarts: c.restarts })),
      failed,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll(5_000);
    throw err;
  }
}
