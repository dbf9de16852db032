import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface RunningHub {
  url: string;
  baseToken: string;
  adminToken: string | undefined;
  proc: ChildProcess;
  /** Everything the launcher printed so far. */
  output: () => string;
  /** Sends `signal` (default SIGTERM) and resolves with the launcher's exit code (null if killed). */
  stop: (signal?: NodeJS.Signals) => Promise<number | null>;
}

export interface LocalHubStart {
  dataDir: string;
  port: number;
  /** Extra environment; a key set to undefined is removed. CLI_API_TOKEN is removed by default. */
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
}

/**
 * Starts the hub exactly as `make run` does (`node --import tsx scripts/run-local.ts`) and
 * resolves once its banner is printed, with the URL and tokens read from the banner.
 */
export function startLocalHub(opts: LocalHubStart): Promise<RunningHub> {
  const env: NodeJS.ProcessEnv = { ...process.env, CLI_API_TOKEN: undefined, TEAMHUB_LOG_LEVEL: 'warn' };
  Object.assign(env, { TEAMHUB_DATA_DIR: opts.dataDir, HAPI_LISTEN_HOST: '127.0.0.1', HAPI_LISTEN_PORT: String(opts.port) }, opts.env);
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];

  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'scripts/run-local.ts')], {
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
      const admin = /^ {2}Admin token: +(\S+)/m.exec(out)?.[1];
      if (!base || base.startsWith('<')) return fail('the launcher printed no base token');
      settled = true;
      clearTimeout(timer);
      resolve({ url: ready[1]!, baseToken: base, adminToken: admin?.startsWith('<') ? undefined : admin, proc, output: () => out, stop });
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    void exited.then((code) => fail(`the launcher exited with ${code} before the hub was ready`));
    const timer = setTimeout(() => fail(`the hub was not ready within ${opts.timeoutMs ?? 120_000} ms`), opts.timeoutMs ?? 120_000);
  });
}
