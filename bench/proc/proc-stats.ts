/**
 * What the kernel knows about a set of processes: CPU ticks, resident and proportional memory.
 * Read from /proc (Linux only), so a hub is measured from outside without any help from it.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

export interface ProcSample {
  pid: number;
  ppid: number;
  /** What the process is (`gateway`, `session`, `nats-server`, `esbuild`, `hapi`, ...). */
  name: string;
  /** utime + stime, in clock ticks. */
  ticks: number;
  rssKiB: number;
}

/** Clock ticks per second (`getconf CLK_TCK`, 100 on every Linux this runs on). */
export const CLOCK_TICKS: number = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** utime + stime (fields 14 and 15) and ppid (field 4) of a /proc/<pid>/stat line. */
export function parseStat(stat: string): { ppid: number; ticks: number } {
  // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { ppid: Number(rest[1]), ticks: Number(rest[11]) + Number(rest[12]) };
}

/** A short name for a process, from its command line. */
export function processName(cmdline: string[]): string {
  const joined = cmdline.join(' ');
  // The hub's entry points, as TypeScript (tsx) or compiled into dist/ (what make run starts).
  const script = /(gateway|services\/(auth|session|machine|telegram|notify))\/main\.[tj]s/.exec(joined);
  if (script) return script[2] ?? 'gateway';
  if (/scripts\/run-local\.[tj]s/.test(joined)) return 'launcher';
  // auth, session, machine (and the Telegram bot) in one process (TEAMHUB_SERVICE_PROCESSES=one).
  if (/scripts\/services-process\.[tj]s/.test(joined)) return 'services';
  const exe = (cmdline[0] ?? '').split('/').pop() ?? '';
  if (exe === 'hapi') return 'hapi';
  if (exe === 'nats-server' || exe === 'esbuild') return exe;
  if (joined.includes('bench/load/socket-worker.ts')) return 'load-worker';
  return exe || 'unknown';
}

function readProc(pid: number): ProcSample | null {
  try {
    const { ppid, ticks } = parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    return { pid, ppid, name: processName(cmdline), ticks, rssKiB };
  } catch {
    return null; // it ended while we looked
  }
}

/** Every live process, by pid. */
function allProcesses(): Map<number, ProcSample> {
  const out = new Map<number, ProcSample>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const p = readProc(Number(entry));
    if (p) out.set(p.pid, p);
  }
  return out;
}

/**
 * The given processes and all their live descendants, root by root, each root before its
 * descendants (so a later root's `gateway` is the second gateway whatever the pids are).
 */
export function sampleTrees(roots: readonly number[]): ProcSample[] {
  const all = allProcesses();
  const children = new Map<number, number[]>();
  for (const p of all.values()) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p.pid]);
  const seen = new Set<number>();
  const out: ProcSample[] = [];
  const visit = (pid: number) => {
    const p = all.get(pid);
    if (!p || seen.has(pid)) return;
    seen.add(pid);
    out.push(p);
    for (const c of (children.get(pid) ?? []).sort((a, b) => a - b)) visit(c);
  };
  for (const r of roots) visit(r);
  return out;
}

/** Proportional set size (KiB): each shared page (the node binary, libraries) split among its users. */
export function pssKiB(pid: number): number {
  try {
    return Number(/^Pss:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** The machine, for the report: CPU model, cores, memory, load. */
export function machineInfo(): { cpu: string; cores: number; memGiB: number; loadavg: string } {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const cpu = /model name\s*:\s*(.+)/.exec(cpuinfo)?.[1]?.trim() ?? 'unknown';
  const cores = (cpuinfo.match(/^processor\s*:/gm) ?? []).length;
  const memKiB = Number(/MemTotal:\s+(\d+)/.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? 0);
  return { cpu, cores, memGiB: +(memKiB / 1024 / 1024).toFixed(1), loadavg: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ') };
}
