import { spawn, type ChildProcess } from 'node:child_process';

/** A child process started by a test, stopped by PID. */
export interface Started {
  proc: ChildProcess;
  output: () => string;
  stop: (signal?: NodeJS.Signals) => Promise<void>;
}

/**
 * Spawns a command and resolves once `ready` matches its combined output. Output is kept (the
 * last 64 KiB) so a failing test can show what the process said.
 */
export function startProcess(
  cmd: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; ready: RegExp; timeoutMs?: number; name: string },
): Promise<Started> {
  return new Promise((resolve, reject) => {
    const proc = spawn(cmd, args, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let settled = false;
    const onData = (b: Buffer) => {
      out = (out + b.toString('utf8')).slice(-65536);
      if (!settled && opts.ready.test(out)) {
        settled = true;
        clearTimeout(timer);
        resolve({ proc, output: () => out, stop: (signal) => stopChild(proc, signal) });
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.on('error', (err) => {
      if (!settled) {
        settled = true;
        clearTimeout(timer);
        reject(new Error(`${opts.name} failed to start: ${err.message}`));
      }
    });
    proc.on('exit', (code) => {
      if (!settled) {
        settled = true;
        clearTimeout(timer);
        reject(new Error(`${opts.name} exited with ${code} before ready:\n${out}`));
      }
    });
    const timer = setTimeout(() => {
      if (!settled) {
        settled = true;
        proc.kill('SIGKILL');
        reject(new Error(`${opts.name} not ready after ${opts.timeoutMs ?? 20000} ms:\n${out}`));
      }
    }, opts.timeoutMs ?? 20000);
  });
}

/** Sends `signal` (default SIGTERM), waits up to 5 s for exit, then SIGKILL. */
export function stopChild(proc: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  return new Promise((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
    const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
    proc.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    proc.kill(signal);
  });
}
