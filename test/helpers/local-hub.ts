import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../scripts/local-hub.js';
import { ensureBuiltOnce } from './node-entry.js';
import { waitFor } from './ports.js';

export interface RunningHub {
  url: string;
  baseToken: string;
  adminToken: string | undefined;
  proc: ChildProcess;
  /** Everything the launcher printed so far. */
  output: () => string;
  /** Resolves with the launcher's exit code (null if killed by a signal). */
  exited: Promise<number | null>;
  /** The launcher's child processes right now, by name (nats, auth, session, machine, gateway). */
  children: () => Map<string, ChildInfo>;
  /** Sends `signal` (default SIGTERM) and resolves with the launcher's exit code (null if killed). */
  stop: (signal?: NodeJS.Signals) => Promise<number | null>;
}

export interface ChildInfo {
  pid: number;
  /** Its command line, as the kernel has it. */
  argv: string[];
}

export interface LocalHubStart {
  dataDir: string;
  port: number;
  /** Extra environment; a key set to undefined is removed. CLI_API_TOKEN is removed by default. */
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
}

/** The hub process a command line belongs to: nats-server, or the compiled entry `dist/<...>/<name>/main.js`. */
function childName(argv: string[]): string | undefined {
  if (argv[0] && path.basename(argv[0]) === 'nats-server') return 'nats';
  // auth, session and machine in one process (TEAMHUB_SERVICE_PROCESSES=one, the default).
  if (argv.some((a) => /services-process\.[jt]s$/.test(a))) return 'services';
  const entry = argv.find((a) => a.endsWith('main.js') || a.endsWith('main.ts'));
  return entry ? path.basename(path.dirname(entry)) : undefined;
}

/** Reads /proc for the processes whose parent is `parentPid`. */
export function childrenOf(parentPid: number): Map<string, ChildInfo> {
  const found = new Map<string, ChildInfo>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The fields after the command name in parentheses: state, then the parent pid.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== parentPid) continue;
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean);
      const name = childName(argv);
      if (name) found.set(name, { pid: Number(entry), argv });
    } catch {
      // exited while we looked
    }
  }
  return found;
}

/**
 * Starts the hub exactly as `make run` does (compiled first when a source changed, then
 * `node dist/scripts/run-local.js`) and resolves once its banner is printed, with the URL and
 * tokens read from the banner.
 */
export function startLocalHub(opts: LocalHubStart): Promise<RunningHub> {
  ensureBuiltOnce();
  const env: NodeJS.ProcessEnv = { ...process.env, CLI_API_TOKEN: undefined, TEAMHUB_LOG_LEVEL: 'warn' };
  Object.assign(env, { TEAMHUB_DATA_DIR: opts.dataDir, HAPI_LISTEN_HOST: '127.0.0.1', HAPI_LISTEN_PORT: String(opts.port) }, opts.env);
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];

  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [path.join(REPO_ROOT, 'dist', 'scripts', 'run-local.js')], {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let settled = false;
    const exited = new Promise<number | null>((res) => proc.once('exit', (code) => res(code)));
    const stop = async (signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> => {
      if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
      const timer = setTimeout(() => proc.kill('SIGKILL'), 30_000);
      proc.kill(signal);
      const code = await exited;
      clearTimeout(timer);
      return code;
    };
    const fail = (why: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void stop('SIGTERM').then(() => reject(new Error(`${why}\n--- launcher output ---\n${out}`)));
    };
    const onData = (b: Buffer) => {
      out += b.toString('utf8');
      if (settled) return;
      const ready = /^TEAMHUB_HUB_READY url=(\S+)$/m.exec(out);
      if (!ready) return;
      const base = /^ {2}Base token: +(\S+)$/m.exec(out)?.[1];
      // The banner shows the admin token only when it was just generated; it is always in its file.
      const adminFile = path.join(opts.dataDir, 'admin-token');
      const admin = existsSync(adminFile) ? readFileSync(adminFile, 'utf8').trim() : undefined;
      if (!base || base.startsWith('<')) return fail('the launcher printed no base token');
      settled = true;
      clearTimeout(timer);
      resolve({
        url: ready[1]!,
        baseToken: base,
        adminToken: admin || undefined,
        proc,
        output: () => out,
        exited,
        children: () => childrenOf(proc.pid!),
        stop,
      });
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    void exited.then((code) => fail(`the launcher exited with ${code} before the hub was ready`));
    const timer = setTimeout(() => fail(`the hub was not ready within ${opts.timeoutMs ?? 120_000} ms`), opts.timeoutMs ?? 120_000);
  });
}

/** Waits until the launcher's output matches `pattern` (after `from` characters), and returns the match. */
export function waitForOutput(hub: RunningHub, pattern: RegExp, opts: { from?: number; timeoutMs?: number } = {}): Promise<RegExpMatchArray> {
  return waitFor(() => hub.output().slice(opts.from ?? 0).match(pattern), { timeoutMs: opts.timeoutMs ?? 30_000, intervalMs: 50, what: `launcher output ${pattern}` });
}
