// Sessions the runner spawned: `teamhub run --started-by runner -- <agent command>` in a directory,
// reporting its session id back over the IPC channel.
import { spawn, type ChildProcess } from 'node:child_process';
import { TEAMHUB_SHIM } from '../socket.js';

export const SESSION_REPORT_TIMEOUT_MS = 15_000;

export interface SpawnRequest {
  directory: string;
  existingSessionId?: string;
}

export class SpawnedSessions {
  private readonly children = new Map<string, ChildProcess>();

  constructor(
    private readonly agentArgv: string[],
    private readonly env: NodeJS.ProcessEnv,
    private readonly log: (msg: string) => void,
  ) {}

  /** Starts the child and resolves with the session id it reports (≤ 15 s). */
  spawn(req: SpawnRequest): Promise<string> {
    const args = [TEAMHUB_SHIM, 'run', '--started-by', 'runner'];
    if (req.existingSessionId) args.push('--existing-session-id', req.existingSessionId);
    args.push('--', ...this.agentArgv);
    const child = spawn(process.execPath, args, {
      cwd: req.directory,
      env: this.env,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    return new Promise((resolve, reject) => {
      let done = false;
      const finish = (err: Error | null, sessionId?: string) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if (err) {
          child.kill('SIGTERM');
          reject(err);
        } else {
          resolve(sessionId!);
        }
      };
      const timer = setTimeout(
        () => finish(new Error('The session process did not report a session id within 15 s')),
        SESSION_REPORT_TIMEOUT_MS,
      );
      child.on('message', (msg: { type?: string; sessionId?: unknown; message?: unknown }) => {
        if (msg?.type === 'session-started' && typeof msg.sessionId === 'string') {
          const sid = msg.sessionId;
          this.children.set(sid, child);
          child.once('exit', (code, signal) => {
            this.children.delete(sid);
            this.log(`session ${sid} exited (${signal ?? code})`);
          });
          this.log(`session ${sid} started in ${req.directory} (pid ${child.pid})`);
          finish(null, sid);
        } else if (msg?.type === 'session-error') {
          finish(new Error(String(msg.message ?? 'The session process failed')));
        }
      });
      child.on('error', (err) => finish(new Error(`Cannot start the session process: ${err.message}`)));
      child.on('exit', (code, signal) =>
        finish(new Error(`The session process exited (${signal ?? `code ${code}`}) before it reported a session id`)),
      );
    });
  }

  /** SIGTERM to the child running `sessionId`; false when the runner has no such child. */
  stop(sessionId: string): boolean {
    const child = this.children.get(sessionId);
    if (!child) return false;
    child.kill('SIGTERM');
    return true;
  }

  /** Stops every child, waiting up to `graceMs` before SIGKILL. */
  async stopAll(graceMs = 3000): Promise<void> {
    const all = [...this.children.values()].filter((c) => c.exitCode === null && c.signalCode === null);
    await Promise.all(
      all.map(
        (c) =>
          new Promise<void>((resolve) => {
            const t = setTimeout(() => {
              c.kill('SIGKILL');
              resolve();
            }, graceMs);
            c.once('exit', () => {
              clearTimeout(t);
              resolve();
            });
            c.kill('SIGTERM');
          }),
      ),
    );
  }
}
