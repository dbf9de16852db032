/**
 * The one-machine hub: a local nats-server with JetStream, then the auth, session and machine
 * services, then the gateway, each a child process on loopback. `scripts/run-local.ts` (what
 * `make run` runs) is a thin CLI around `startLocalHub`; tests start the launcher itself
 * (test/helpers/local-hub.ts), so they run the hub exactly as `make run` does.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { colorize, formatLogLine } from './log-format.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface LocalHubOptions {
  /** Where every service keeps its data (`<dir>/<svc>.db`, `<dir>/nats`, `<dir>/internal-secret`). */
  dataDir: string;
  /** Gateway listen host and port (HAPI_LISTEN_HOST / HAPI_LISTEN_PORT). */
  host: string;
  port: number;
  /** Environment handed to every child (the launcher adds addresses and paths on top). */
  env: NodeJS.ProcessEnv;
  /** Receives every child's output line, already prefixed and shortened. */
  print: (line: string) => void;
  color?: boolean;
  /** How long a child may take to report ready. */
  readyTimeoutMs?: number;
  /** Aborting it during startup stops what was started and rejects with StartupError('interrupted'). */
  signal?: AbortSignal;
}

/** A child that exited without being asked to. */
export interface ChildFailure {
  name: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Its last lines of output, raw. */
  tail: string[];
}

export interface LocalHub {
  url: string;
  dataDir: string;
  /** As announced by the auth service (TEAMHUB_BASE_TOKEN=...), or CLI_API_TOKEN when it announced none. */
  baseToken: string | undefined;
  adminToken: string | undefined;
  /** Resolves when any child dies unexpectedly (never resolves after stop()). */
  failed: Promise<ChildFailure>;
  /** Stops the children in reverse start order: SIGTERM, then SIGKILL after `graceMs`. */
  stop: (graceMs?: number) => Promise<void>;
}

export class StartupError extends Error {
  constructor(
    message: string,
    readonly failure?: ChildFailure,
  ) {
    super(message);
    this.name = 'StartupError';
  }
}

const TAIL_LINES = 60;

/** Every child still running, so a crash or a second Ctrl-C never leaves orphans behind. */
const live = new Set<Child>();

/** SIGKILLs every child still running (last resort: a second Ctrl-C, or the launcher crashing). */
export function killAllChildren(): void {
  for (const c of live) c.signal('SIGKILL');
}

process.once('exit', killAllChildren);

/** A free TCP port on loopback (the OS picks it; the child binds it right after). */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

interface ChildSpec {
  name: string;
  cmd: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  ready: RegExp;
  /** Hide informational lines until ready (they stay in the tail shown on failure). */
  quietUntilReady?: boolean;
}

class Child {
  readonly tail: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stopping = false;
  private readonly proc: ChildProcess;
  private readyWaiter: ((m: RegExpMatchArray) => void) | null = null;
  private readyMatch: RegExpMatchArray | null = null;
  private readonly captured = new Map<string, string>();

  constructor(
    readonly spec: ChildSpec,
    private readonly print: (line: string) => void,
  ) {
    // Own process group: a Ctrl-C in the terminal reaches the launcher only, which then stops
    // the children in reverse order instead of all of them at once.
    this.proc = spawn(spec.cmd, spec.args, { cwd: REPO_ROOT, env: spec.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    live.add(this);
    this.exited = new Promise((resolve) => {
      this.proc.once('error', (err) => {
        live.delete(this);
        this.remember(`failed to start ${spec.cmd}: ${err.message}`);
        resolve({ code: 127, signal: null });
      });
      this.proc.once('exit', (code, signal) => {
        live.delete(this);
        resolve({ code, signal });
      });
    });
    this.pipeLines(this.proc.stdout!);
    this.pipeLines(this.proc.stderr!);
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  private pipeLines(stream: NodeJS.ReadableStream): void {
    let buf = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        this.onLine(buf.slice(0, nl).replace(/\r$/, ''));
        buf = buf.slice(nl + 1);
      }
    });
    stream.on('end', () => {
      if (buf) this.onLine(buf);
      buf = '';
    });
  }

  private remember(line: string): void {
    this.tail.push(line);
    if (this.tail.length > TAIL_LINES) this.tail.shift();
  }

  private onLine(line: string): void {
    this.remember(line);
    const secret = /^(TEAMHUB_BASE_TOKEN|TEAMHUB_ADMIN_TOKEN)=(\S+)\s*$/.exec(line);
    if (secret) {
      // Shown once, in the banner; not echoed into the log stream.
      this.captured.set(secret[1]!, secret[2]!);
      return;
    }
    if (!this.readyMatch) {
      const m = line.match(this.spec.ready);
      if (m) {
        this.readyMatch = m;
        this.readyWaiter?.(m);
      }
    }
    // nats-server's start-up banner is noise; its warnings and errors always show.
    if (!this.readyMatch && this.spec.quietUntilReady && / \[INF\] /.test(line)) return;
    if (line.trim()) this.print(formatLogLine(line));
  }

  capturedValue(key: string): string | undefined {
    return this.captured.get(key);
  }

  /** Resolves with the ready match; rejects when the child exits first or the timeout passes. */
  waitReady(timeoutMs: number): Promise<RegExpMatchArray> {
    if (this.readyMatch) return Promise.resolve(this.readyMatch);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new StartupError(`${this.spec.name} did not report ready within ${Math.round(timeoutMs / 1000)} s`, this.failure(null, null)));
      }, timeoutMs);
      this.readyWaiter = (m) => {
        clearTimeout(timer);
        resolve(m);
      };
      void this.exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new StartupError(`${this.spec.name} exited before it was ready (${describeExit(code, signal)})`, this.failure(code, signal)));
      });
    });
  }

  failure(code: number | null, signal: NodeJS.Signals | null): ChildFailure {
    return { name: this.spec.name, code, signal, tail: [...this.tail] };
  }

  isRunning(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the child has exited. */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    if (!this.isRunning()) return;
    this.signal('SIGTERM');
    const timer = setTimeout(() => {
      this.print(`${this.spec.name} did not stop within ${Math.round(graceMs / 1000)} s; killing it`);
      this.signal('SIGKILL');
    }, graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  signal(sig: NodeJS.Signals): void {
    try {
      this.proc.kill(sig);
    } catch {
      // already gone
    }
  }
}

export function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `signal ${signal}` : `exit code ${code}`;
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

function serviceFile(rel: string): string {
  const file = path.join(REPO_ROOT, rel);
  if (!existsSync(file)) throw new StartupError(`${rel} does not exist (yet); cannot start the hub`);
  return file;
}

function withoutUndefined(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined));
}

/** Starts the whole hub; on any startup failure stops what it started and throws StartupError. */
export async function startLocalHub(opts: LocalHubOptions): Promise<LocalHub> {
  const dataDir = path.resolve(opts.dataDir);
  const readyTimeoutMs = opts.readyTimeoutMs ?? 90_000;
  mkdirSync(path.join(dataDir, 'nats'), { recursive: true });
  const releaseLock = takeLock(dataDir);

  const started: Child[] = [];
  let stopping = false;
  let reportFailure: (f: ChildFailure) => void = () => {};
  const failed = new Promise<ChildFailure>((resolve) => {
    reportFailure = resolve;
  });

  const stopAll = async (graceMs = 10_000): Promise<void> => {
    stopping = true;
    for (const c of [...started].reverse()) await c.stop(graceMs);
    releaseLock();
  };

  const launch = (spec: ChildSpec): Child => {
    const index = started.length;
    const label = colorize(spec.name.padEnd(7), index, opts.color ?? false);
    const child = new Child(spec, (line) => opts.print(`${label} | ${line.split('\n').join(`\n${label} | `)}`));
    started.push(child);
    void child.exited.then(({ code, signal }) => {
      if (!stopping && !child.stopping) reportFailure(child.failure(code, signal));
    });
    return child;
  };

  const node = (rel: string): { cmd: string; args: string[] } => ({ cmd: process.execPath, args: ['--import', 'tsx', serviceFile(rel)] });

  const interrupted = new Promise<never>((_, reject) => {
    const fire = () => reject(new StartupError('interrupted'));
    if (opts.signal?.aborted) fire();
    else opts.signal?.addEventListener('abort', fire, { once: true });
  });
  interrupted.catch(() => {});
  const ready = (child: Child): Promise<RegExpMatchArray> => Promise.race([child.waitReady(readyTimeoutMs), interrupted]);

  try {
    const gatewayFile = serviceFile('gateway/main.ts');
    for (const rel of ['services/auth/main.ts', 'services/session/main.ts', 'services/machine/main.ts']) serviceFile(rel);

    const natsPort = await freeLoopbackPort();
    const natsUrl = `nats://127.0.0.1:${natsPort}`;
    const nats = launch({
      name: 'nats',
      cmd: 'nats-server',
      args: ['-a', '127.0.0.1', '-p', String(natsPort), '-js', '-sd', path.join(dataDir, 'nats'), '-n', 'teamhub-local'],
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

    const common: NodeJS.ProcessEnv = {
      ...opts.env,
      TEAMHUB_NATS_URL: natsUrl,
      TEAMHUB_DATA_DIR: dataDir,
      TEAMHUB_STORE: opts.env.TEAMHUB_STORE || 'sqlite',
      TEAMHUB_INTERNAL_SECRET_FILE: opts.env.TEAMHUB_INTERNAL_SECRET_FILE || path.join(dataDir, 'internal-secret'),
    };

    const authListen = `127.0.0.1:${await freeLoopbackPort()}`;
    const auth = launch({
      name: 'auth',
      ...node('services/auth/main.ts'),
      env: withoutUndefined({ ...common, TEAMHUB_AUTH_LISTEN: authListen, TEAMHUB_ANNOUNCE_SECRETS: '1' }),
      ready: /^TEAMHUB_READY auth port=(\d+)/,
    });
    const authPort = (await ready(auth))[1]!;

    const sessionListen = `127.0.0.1:${await freeLoopbackPort()}`;
    const machineListen = `127.0.0.1:${await freeLoopbackPort()}`;
    const session = launch({
      name: 'session',
      ...node('services/session/main.ts'),
      env: withoutUndefined({ ...common, TEAMHUB_SESSION_LISTEN: sessionListen }),
      ready: /^TEAMHUB_READY session port=(\d+)/,
    });
    const machine = launch({
      name: 'machine',
      ...node('services/machine/main.ts'),
      env: withoutUndefined({ ...common, TEAMHUB_MACHINE_LISTEN: machineListen }),
      ready: /^TEAMHUB_READY machine port=(\d+)/,
    });
    const [sessionReady, machineReady] = await Promise.all([ready(session), ready(machine)]);

    const gateway = launch({
      name: 'gateway',
      cmd: process.execPath,
      args: ['--import', 'tsx', gatewayFile],
      env: withoutUndefined({
        ...common,
        TEAMHUB_AUTH_ADDR: `127.0.0.1:${authPort}`,
        TEAMHUB_SESSION_ADDR: `127.0.0.1:${sessionReady[1]!}`,
        TEAMHUB_MACHINE_ADDR: `127.0.0.1:${machineReady[1]!}`,
        HAPI_LISTEN_HOST: opts.host,
        HAPI_LISTEN_PORT: String(opts.port),
      }),
      ready: /^TEAMHUB_READY gateway port=(\d+)/,
    });
    const gatewayPort = (await ready(gateway))[1]!;

    const shownHost = opts.host === '0.0.0.0' || opts.host === '::' ? '127.0.0.1' : opts.host.includes(':') ? `[${opts.host}]` : opts.host;
    return {
      url: `http://${shownHost}:${gatewayPort}`,
      dataDir,
      baseToken: auth.capturedValue('TEAMHUB_BASE_TOKEN') ?? (opts.env.CLI_API_TOKEN?.trim() || undefined),
      adminToken: auth.capturedValue('TEAMHUB_ADMIN_TOKEN') ?? (opts.env.TEAMHUB_ADMIN_TOKEN?.trim() || undefined),
      failed,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll(5_000);
    throw err;
  }
}
