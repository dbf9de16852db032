import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** The files `make run` keeps in its data dir that describe the running launcher, not the hub's data. */
export const LAUNCHER_PID_FILE = 'launcher.pid';
export const RUNTIME_FILE = 'hub.json';
/** Where the launcher writes its NATS users' passwords (fresh at every start, 0600). */
export const NATS_AUTH_DIR = 'nats-auth';
/**
 * `teamhub backup`'s NATS user on a running hub: it may read the kept KV buckets (nats-kv.ts) and
 * nothing else, and its replies come to an inbox prefix of its own, so it cannot listen to the
 * other processes' replies either (scripts/nats-access.ts).
 */
export const BACKUP_NATS_USER = 'backup';
export const BACKUP_INBOX_PREFIX = '_INBOX_teamhub_backup';

export interface RunningLauncher {
  pid: number;
  /** From hub.json: the hub's nats-server (its port changes at each start). */
  natsUrl: string | undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The launcher running on `dataDir`, or null when none is (a pid file left by a dead one does not count). */
export function runningLauncher(dataDir: string): RunningLauncher | null {
  const pidFile = path.join(dataDir, LAUNCHER_PID_FILE);
  if (!existsSync(pidFile)) return null;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) return null;
  let natsUrl: string | undefined;
  try {
    const info = JSON.parse(readFileSync(path.join(dataDir, RUNTIME_FILE), 'utf8')) as { natsUrl?: unknown };
    if (typeof info.natsUrl === 'string') natsUrl = info.natsUrl;
  } catch {
    natsUrl = undefined;
  }
  return { pid, natsUrl };
}
