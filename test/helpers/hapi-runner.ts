import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { io, type Socket } from 'socket.io-client';
import { http, MACHINE_METADATA } from './hub-harness.js';
import { waitFor } from './ports.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The real `hapi` binary (devDependency @twsxtd/hapi 0.30.7, linux-x64 build). */
export const HAPI_BIN = path.join(ROOT, 'node_modules', '@twsxtd', 'hapi-linux-x64', 'bin', 'hapi');

/** A web JWT for an access token (`POST /api/auth`). */
export { webToken } from './hub-harness.js';

/** `POST /cli/machines` as a runner does (status and body returned). */
export function registerMachine(url: string, token: string, id: string, metadata: Record<string, unknown> = MACHINE_METADATA) {
  return http(url, 'POST', '/cli/machines', { token, body: { id, metadata, runnerState: { status: 'offline' } } });
}

export interface RpcRequest {
  method: string;
  params: unknown;
}

/**
 * A socket.io-client acting like `hapi runner`'s machine-scoped socket: it registers RPC methods,
 * sends machine-alive / machine-update-state, records every `rpc-request` and `error` event, and
 * answers requests with `answer(method, params)` (JSON-stringified, as the runner does).
 */
export class FakeRunner {
  readonly requests: RpcRequest[] = [];
  readonly errors: Record<string, unknown>[] = [];
  answer: (method: string, params: unknown) => unknown = () => ({ type: 'success', sessionId: 'fake-session' });
  private heartbeat: NodeJS.Timeout | undefined;

  private constructor(
    readonly socket: Socket,
    readonly machineId: string,
  ) {
    socket.on('error', (e: Record<string, unknown>) => this.errors.push(e));
    socket.on('rpc-request', (req: { method: string; params: string }, cb: (s: string) => void) => {
      const params = JSON.parse(req.params) as unknown;
      this.requests.push({ method: req.method, params });
      cb(JSON.stringify(this.answer(req.method, params)));
    });
  }

  static async connect(url: string, token: string, machineId: string): Promise<FakeRunner> {
    const socket = io(`${url}/cli`, {
      path: '/socket.io/',
      transports: ['websocket'],
      reconnection: false,
      auth: { token, clientType: 'machine-scoped', machineId },
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', (err) => reject(err));
    });
    return new FakeRunner(socket, machineId);
  }

  register(...names: string[]): void {
    for (const n of names) this.socket.emit('rpc-register', { method: `${this.machineId}:${n}` });
  }

  /** Registers a method under another id (what a hostile socket would try). */
  registerRaw(method: string): void {
    this.socket.emit('rpc-register', { method });
  }

  alive(machineId = this.machineId): void {
    this.socket.emit('machine-alive', { machineId, time: Date.now(), health: { cpuCount: 2 } });
  }

  startHeartbeat(everyMs: number): void {
    this.stopHeartbeat();
    this.alive();
    this.heartbeat = setInterval(() => this.alive(), everyMs);
  }

  stopHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }

  updateState(expectedVersion: number, runnerState: unknown, machineId = this.machineId): Promise<Record<string, unknown>> {
    return this.socket.timeout(5000).emitWithAck('machine-update-state', { machineId, expectedVersion, runnerState });
  }

  close(): void {
    this.stopHeartbeat();
    this.socket.disconnect();
  }
}

/** A real `hapi runner` started in its own HAPI_HOME (it daemonizes; see stop()). */
export interface RealRunner {
  home: string;
  workspace: string;
  env: NodeJS.ProcessEnv;
  machineId(): string | undefined;
  pid(): number | undefined;
  /** Runs `hapi <args>` in this runner's environment. */
  run(args: string[], timeoutMs?: number): Promise<{ code: number | null; out: string }>;
  log(): string;
  stop(): Promise<void>;
  /** Exit code and output of `hapi runner start` itself. */
  start: { code: number | null; out: string };
}

function readJson(file: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

function runHapi(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 30_000): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(HAPI_BIN, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString('utf8')));
    child.stderr.on('data', (b: Buffer) => (out += b.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

/** Is this pid a running process? */
export function processAlive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A fresh HAPI_HOME (and workspace root) for a runner; `home` may be reused to keep settings.json. */
export function runnerHome(home?: string): { home: string; workspace: string } {
  const h = home ?? mkdtempSync(path.join(os.tmpdir(), 'teamhub-hapi-home-'));
  const workspace = path.join(h, 'ws');
  mkdirSync(workspace, { recursive: true });
  return { home: h, workspace };
}

/**
 * `HAPI_HOME=<home> HAPI_API_URL=<url> CLI_API_TOKEN=<token> hapi runner start --workspace-root <ws>`.
 * The command returns once the runner daemon is launched; the daemon then registers on its own.
 */
export async function startRealRunner(url: string, token: string, at = runnerHome(), opts: { mayBeRefused?: boolean } = {}): Promise<RealRunner> {
  const env: NodeJS.ProcessEnv = {
    PATH: '/usr/local/bin:/usr/bin:/bin',
    HOME: at.home,
    HAPI_HOME: at.home,
    HAPI_API_URL: url,
    CLI_API_TOKEN: token,
  };
  const state = () => readJson(path.join(at.home, 'runner.state.json'));
  const pid = () => (typeof state()?.pid === 'number' ? (state()!.pid as number) : undefined);
  const started = await runHapi(['runner', 'start', '--workspace-root', at.workspace], env);
  // A runner the hub refuses (403) either reports success and dies a moment later or reports
  // "Failed to start runner", depending on timing; callers expecting a refusal accept both.
  if (started.code !== 0 && !opts.mayBeRefused) throw new Error(`hapi runner start exited ${started.code}: ${started.out}`);
  const runner: RealRunner = {
    ...at,
    env,
    machineId: () => {
      const id = readJson(path.join(at.home, 'settings.json'))?.machineId;
      return typeof id === 'string' ? id : undefined;
    },
    pid,
    run: (args, timeoutMs) => runHapi(args, env, timeoutMs),
    log: () => {
      const file = state()?.runnerLogPath;
      if (typeof file === 'string' && existsSync(file)) return readFileSync(file, 'utf8').slice(-8000);
      return newestLogs(path.join(at.home, 'logs'));
    },
    start: started,
    stop: async () => {
      const p = pid();
      if (processAlive(p)) await runHapi(['runner', 'stop'], env, 15_000);
      if (processAlive(p)) process.kill(p!, 'SIGKILL');
      await waitFor(() => !processAlive(p), { timeoutMs: 5000, what: 'runner exit' }).catch(() => undefined);
    },
  };
  return runner;
}

/** Stops every runner given and removes their homes. Safe to call twice. */
export async function stopRealRunners(runners: (RealRunner | undefined)[]): Promise<void> {
  await Promise.all(runners.map((r) => r?.stop().catch(() => undefined)));
  for (const r of runners) if (r) rmSync(r.home, { recursive: true, force: true });
}

/** The runner's log files (newest last) when runner.state.json never named one. */
function newestLogs(dir: string): string {
  if (!existsSync(dir)) return '';
  return readdirSync(dir)
    .map((f) => path.join(dir, f))
    .filter((f) => statSync(f).isFile())
    .sort((x, y) => statSync(x).mtimeMs - statSync(y).mtimeMs)
    .map((f) => readFileSync(f, 'utf8'))
    .join('\n')
    .slice(-8000);
}
