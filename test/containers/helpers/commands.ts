import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command without blocking the event loop (the tier keeps client load and sockets going
 * while it drives the engine), bounded by `timeoutMs`. Never throws: the caller decides.
 */
export function runCommand(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      { env: opts.env ?? process.env, cwd: opts.cwd ?? REPO_ROOT, timeout: opts.timeoutMs ?? 60_000, killSignal: 'SIGKILL', maxBuffer: 256 * 1024 * 1024, encoding: 'utf8' },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : null) : 0;
        resolve({ code, stdout: stdout ?? '', stderr: `${stderr ?? ''}${err && code === null ? `\n${err.message}` : ''}` });
      },
    );
  });
}

/** Like runCommand, but throws with the command's output when it does not exit 0. */
export async function mustRun(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): Promise<string> {
  const res = await runCommand(cmd, args, opts);
  if (res.code !== 0) {
    const out = `${res.stdout}\n${res.stderr}`.trim();
    throw new Error(`${path.basename(cmd)} ${args.slice(0, 3).join(' ')} failed (exit ${res.code ?? 'timeout'}):\n${out.slice(-4000)}`);
  }
  return res.stdout;
}

/** Seconds since `startedAt` (Date.now()), one decimal. */
export const secondsSince = (startedAt: number) => Math.round((Date.now() - startedAt) / 100) / 10;
