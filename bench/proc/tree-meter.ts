/**
 * CPU and memory of a set of process trees (a hub, or the load generator), as figures a reader
 * can compare: CPU in percent of one core over a window, memory in MiB.
 */
import { CLOCK_TICKS, pssKiB, sampleTrees, type ProcSample } from './proc-stats.js';

export interface ProcessCpu {
  name: string;
  pid: number;
  /** Percent of one core over the window. */
  cpuPct: number;
}

export interface CpuWindow {
  seconds: number;
  /** Summed over every process of the trees, in percent of one core. */
  cpuPct: number;
  processes: ProcessCpu[];
}

export interface ProcessMemory {
  name: string;
  pid: number;
  rssMiB: number;
  pssMiB: number;
}

export interface MemoryFigures {
  /** VmRSS summed over every process (what `ps` shows; shared pages counted once per process). */
  rssMiB: number;
  /** Proportional set size summed: shared pages (the node binary, libraries) counted once in all. */
  pssMiB: number;
  processes: ProcessMemory[];
}

export interface TreeSnapshot {
  atMs: number;
  procs: ProcSample[];
}

const mib = (kib: number) => +(kib / 1024).toFixed(1);

/** Gives repeated names a suffix (`gateway`, `gateway#2`) so every process has its own key. */
function uniqueNames(procs: readonly ProcSample[]): Map<number, string> {
  const count = new Map<string, number>();
  const out = new Map<number, string>();
  for (const p of procs) {
    const n = (count.get(p.name) ?? 0) + 1;
    count.set(p.name, n);
    out.set(p.pid, n === 1 ? p.name : `${p.name}#${n}`);
  }
  return out;
}

export class TreeMeter {
  constructor(private readonly roots: () => readonly number[]) {}

  snapshot(): TreeSnapshot {
    return { atMs: performance.now(), procs: sampleTrees(this.roots()) };
  }

  /** CPU used between two snapshots; a process that started in between counts from zero. */
  static cpuBetween(a: TreeSnapshot, b: TreeSnapshot): CpuWindow {
    const seconds = (b.atMs - a.atMs) / 1000;
    const before = new Map(a.procs.map((p) => [p.pid, p.ticks]));
    const names = uniqueNames(b.procs);
    const processes = b.procs.map((p) => ({
      name: names.get(p.pid)!,
      pid: p.pid,
      cpuPct: +((((p.ticks - (before.get(p.pid) ?? 0)) / CLOCK_TICKS) / seconds) * 100).toFixed(1),
    }));
    const cpuPct = +processes.reduce((s, p) => s + p.cpuPct, 0).toFixed(1);
    return { seconds: +seconds.toFixed(2), cpuPct, processes };
  }

  /** Runs `during` and returns the CPU the trees used meanwhile. */
  async cpuDuring(during: () => Promise<void>): Promise<CpuWindow> {
    const a = this.snapshot();
    await during();
    return TreeMeter.cpuBetween(a, this.snapshot());
  }

  memory(): MemoryFigures {
    const procs = sampleTrees(this.roots());
    const names = uniqueNames(procs);
    const processes = procs.map((p) => ({ name: names.get(p.pid)!, pid: p.pid, rssMiB: mib(p.rssKiB), pssMiB: mib(pssKiB(p.pid)) }));
    return {
      rssMiB: +processes.reduce((s, p) => s + p.rssMiB, 0).toFixed(1),
      pssMiB: +processes.reduce((s, p) => s + p.pssMiB, 0).toFixed(1),
      processes,
    };
  }

  /** pid → name of every process in the trees now (kept with profiles to name their files). */
  names(): Record<number, string> {
    const procs = sampleTrees(this.roots());
    const names = uniqueNames(procs);
    return Object.fromEntries(procs.map((p) => [p.pid, names.get(p.pid)!]));
  }
}
