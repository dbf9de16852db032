// One runner per HAPI_HOME: `runner.lock` created with O_EXCL holding the pid (a lock left by a dead
// pid is taken over), and `runner.state.json` describing the running runner.
import fs from 'node:fs';
import path from 'node:path';

export interface RunnerState {
  pid: number;
  machineId: string;
  apiUrl: string;
  startedAt: number;
  logPath?: string;
}

export const lockPath = (home: string) => path.join(home, 'runner.lock');
export const statePath = (home: string) => path.join(home, 'runner.state.json');
export const logPath = (home: string) => path.join(home, 'logs', 'runner.log');

export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid in the lock file when that process is alive, else null. */
export function lockHolder(home: string): number | null {
  let text: string;
  try {
    text = fs.readFileSync(lockPath(home), 'utf8');
  } catch {
    return null;
  }
  const pid = Number.parseInt(text.trim(), 10);
  return pidAlive(pid) ? pid : null;
}

export type LockResult = { ok: true } | { ok: false; holderPid: number };

/** Takes the lock for `pid`; a stale lock (dead or unreadable pid) is replaced. */
export function acquireLock(home: string, pid = process.pid): LockResult {
  fs.mkdirSync(home, { recursive: true, mode: 0o700 });
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = fs.openSync(lockPath(home), 'wx', 0o600);
      fs.writeFileSync(fd, `${pid}\n`);
      fs.closeSync(fd);
      return { ok: true };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = lockHolder(home);
    if (holder !== null && holder !== pid) return { ok: false, holderPid: holder };
    fs.rmSync(lockPath(home), { force: true });
  }
  const holder = lockHolder(home);
  return { ok: false, holderPid: holder ?? -1 };
}

/** Removes the lock only when `pid` holds it. */
export function releaseLock(home: string, pid = process.pid): void {
  try {
    const held = Number.parseInt(fs.readFileSync(lockPath(home), 'utf8').trim(), 10);
    if (held === pid) fs.rmSync(lockPath(home), { force: true });
  } catch {
    /* already gone */
  }
}

export function writeRunnerState(home: string, state: RunnerState): void {
  const tmp = `${statePath(home)}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
  fs.renameSync(tmp, statePath(home));
}

export function readRunnerState(home: string): RunnerState | null {
  try {
    const s = JSON.parse(fs.readFileSync(statePath(home), 'utf8')) as RunnerState;
    return typeof s.pid === 'number' ? s : null;
  } catch {
    return null;
  }
}

export function removeRunnerState(home: string, pid = process.pid): void {
  const s = readRunnerState(home);
  if (s && s.pid === pid) fs.rmSync(statePath(home), { force: true });
}
