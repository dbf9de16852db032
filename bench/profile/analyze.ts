/**
 * Reads the CPU and heap profiles a `--profile DIR` run left (one per Node process of teamhub,
 * written at exit) and says where the time went in each workload: the samples are cut by the
 * bench's phases (both on the monotonic clock), grouped into categories (categories.ts), with
 * the top self-time functions. Writes DIR/summary.json and DIR/summary.md.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HubResults } from '../run-hub.js';
import type { Phase } from '../workloads/phase-log.js';
import { frameCategory, IDLE, NODE_CORE, shortUrl, workloadOf, type CallFrame } from './categories.js';
import { originalFrame } from './source-maps.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

interface HeapNode {
  callFrame: CallFrame;
  selfSize: number;
  children: HeapNode[];
}

export interface Share {
  name: string;
  ms: number;
}

export interface WorkloadCpu {
  workload: string;
  wallMs: number;
  cpuMs: number;
  categories: Share[];
  top: Share[];
  /** Each sample charged to the nearest project function on its stack (what of ours caused it). */
  callers: Share[];
}

export interface ProcessCpu {
  pid: number;
  name: string;
  cpuMs: number;
  workloads: WorkloadCpu[];
}

export interface ProcessHeap {
  pid: number;
  name: string;
  sampledMiB: number;
  categories: Share[];
  top: Share[];
}

const pidOf = (file: string) => Number(/(\d+)\.(cpu|heap)profile$/.exec(file)?.[1]);
const normalized = (cf: CallFrame): CallFrame => {
  const original = originalFrame(cf);
  return { ...original, url: shortUrl(original.url, REPO_ROOT) };
};
const frameName = (cf: CallFrame) => `${cf.functionName || '(anonymous)'} ${cf.url || '(native)'}${cf.url && cf.lineNumber >= 0 ? `:${cf.lineNumber + 1}` : ''}`;
const sorted = (m: Map<string, number>, min = 0): Share[] =>
  [...m].filter(([, ms]) => ms >= min).sort((a, b) => b[1] - a[1]).map(([name, ms]) => ({ name, ms: Math.round(ms) }));
const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);

/** Category of every node: its own frame's, else its caller's (memoized walk to the root). */
function categoriesOf(nodes: Array<{ id: number; cf: CallFrame; parent?: number }>): Map<number, string> {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const out = new Map<number, string>();
  const cat = (id: number): string => {
    const known = out.get(id);
    if (known) return known;
    const n = byId.get(id)!;
    const c = frameCategory(n.cf) ?? (n.parent === undefined ? NODE_CORE : cat(n.parent));
    out.set(id, c);
    return c;
  };
  for (const n of nodes) cat(n.id);
  return out;
}

/**
 * A project file (not generated code): where a change would go. The hub runs compiled code, so
 * its frames (mapped back from the bundles) name `dist/<folder>/...`.
 */
const isProjectFrame = (cf: CallFrame) => /^(dist\/)?(gateway|services|lib|scripts|cli)\//.test(cf.url) && !/^(dist\/)?lib\/gen\//.test(cf.url);

/** The nearest project frame on each node's stack, by name (memoized walk to the root). */
function callersOf(nodes: Array<{ id: number; cf: CallFrame; parent?: number }>): Map<number, string> {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const out = new Map<number, string>();
  const caller = (id: number): string => {
    const known = out.get(id);
    if (known) return known;
    const n = byId.get(id)!;
    const c = isProjectFrame(n.cf) ? frameName(n.cf) : n.parent === undefined ? '(no project frame: event loop, GC, libraries on their own)' : caller(n.parent);
    out.set(id, c);
    return c;
  };
  for (const n of nodes) caller(n.id);
  return out;
}

function phaseAt(phases: readonly Phase[], us: number): Phase | undefined {
  let lo = 0;
  let hi = phases.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const p = phases[mid]!;
    if (us < p.startUs) hi = mid - 1;
    else if (us >= p.endUs) lo = mid + 1;
    else return p;
  }
  return undefined;
}

function analyzeCpu(file: string, pid: number, name: string, phases: readonly Phase[]): ProcessCpu {
  const prof = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const parent = new Map<number, number>();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const nodes = prof.nodes.map((n) => ({ id: n.id, cf: normalized(n.callFrame), parent: parent.get(n.id) }));
  const cf = new Map(nodes.map((n) => [n.id, n.cf]));
  const cats = categoriesOf(nodes);
  const callers = callersOf(nodes);
  const acc = new Map<string, { cats: Map<string, number>; top: Map<string, number>; callers: Map<string, number>; cpuMs: number }>();
  let t = prof.startTime;
  for (let i = 0; i < prof.samples.length; i++) {
    t += prof.timeDeltas[i]!;
    const ms = (prof.timeDeltas[i + 1] ?? 0) / 1000;
    const id = prof.samples[i]!;
    const category = cats.get(id)!;
    if (category === IDLE || ms <= 0) continue;
    const wl = workloadOf(phaseAt(phases, t)?.name ?? 'between phases');
    let a = acc.get(wl);
    if (!a) acc.set(wl, (a = { cats: new Map(), top: new Map(), callers: new Map(), cpuMs: 0 }));
    a.cpuMs += ms;
    add(a.cats, category, ms);
    add(a.top, frameName(cf.get(id)!), ms);
    add(a.callers, callers.get(id)!, ms);
  }
  const wallOf = (wl: string) => phases.filter((p) => workloadOf(p.name) === wl).reduce((s, p) => s + (p.endUs - p.startUs) / 1000, 0);
  const workloads = [...acc].map(([workload, a]) => ({
    workload,
    wallMs: Math.round(wallOf(workload)),
    cpuMs: Math.round(a.cpuMs),
    categories: sorted(a.cats, a.cpuMs * 0.01),
    top: sorted(a.top).slice(0, 12),
    callers: sorted(a.callers).slice(0, 10),
  }));
  return { pid, name, cpuMs: workloads.reduce((s, w) => s + w.cpuMs, 0), workloads };
}

function analyzeHeap(file: string, pid: number, name: string): ProcessHeap {
  const prof = JSON.parse(readFileSync(file, 'utf8')) as { head: HeapNode };
  const cats = new Map<string, number>();
  const top = new Map<string, number>();
  let total = 0;
  const walk = (n: HeapNode, inherited: string) => {
    const cf = normalized(n.callFrame);
    const category = frameCategory(cf) ?? inherited;
    if (n.selfSize > 0) {
      total += n.selfSize;
      add(cats, category, n.selfSize / 1048576);
      add(top, frameName(cf), n.selfSize / 1048576);
    }
    for (const c of n.children) walk(c, category);
  };
  walk(prof.head, NODE_CORE);
  const mib = (s: Share[]) => s.map((x) => ({ name: x.name, ms: x.ms }));
  const round = (m: Map<string, number>) => new Map([...m].map(([k, v]) => [k, +v.toFixed(2)]));
  return { pid, name, sampledMiB: +(total / 1048576).toFixed(1), categories: mib(sorted(round(cats), 0.05)), top: mib(sorted(round(top)).slice(0, 10)) };
}

const pct = (part: number, whole: number) => (whole > 0 ? Math.round((part / whole) * 100) : 0);

function renderMarkdown(cpu: ProcessCpu[], heap: ProcessHeap[], workloads: string[]): string {
  const out: string[] = ['# teamhub profile summary (generated by `npm run bench -- --profile DIR`)', ''];
  out.push('CPU: milliseconds of JS-thread samples per process (idle excluded), with the share of each category and the top self-time frames.', '');
  for (const wl of workloads) {
    const rows = cpu.map((p) => ({ p, w: p.workloads.find((x) => x.workload === wl) })).filter((x) => x.w && x.w.cpuMs > 0);
    if (rows.length === 0) continue;
    const wall = rows[0]!.w!.wallMs;
    out.push(`## ${wl} (${(wall / 1000).toFixed(1)} s)`, '');
    for (const { p, w } of rows.sort((a, b) => b.w!.cpuMs - a.w!.cpuMs)) {
      const core = wall > 0 ? ` (${pct(w!.cpuMs, wall)}% of a core)` : '';
      out.push(`- **${p.name}** ${w!.cpuMs} ms${core}: ${w!.categories.slice(0, 8).map((c) => `${c.name} ${pct(c.ms, w!.cpuMs)}%`).join(', ')}`);
      out.push(`  - top: ${w!.top.slice(0, 6).map((f) => `${f.name} ${pct(f.ms, w!.cpuMs)}%`).join('; ')}`);
      out.push(`  - from: ${w!.callers.slice(0, 6).map((f) => `${f.name} ${pct(f.ms, w!.cpuMs)}%`).join('; ')}`);
    }
    out.push('');
  }
  out.push('## Heap at exit (sampled live allocations, MiB)', '');
  for (const h of heap.sort((a, b) => b.sampledMiB - a.sampledMiB)) {
    out.push(`- **${h.name}** ${h.sampledMiB} MiB: ${h.categories.slice(0, 6).map((c) => `${c.name} ${c.ms}`).join(', ')}`);
    out.push(`  - top: ${h.top.slice(0, 5).map((f) => `${f.name} ${f.ms}`).join('; ')}`);
  }
  return `${out.join('\n')}\n`;
}

/** Analyses the profiles of the processes `results` names; returns the path of the summary. */
export function analyzeProfiles(dir: string, results: HubResults): string {
  const names = results.profiledProcesses ?? {};
  const phases = results.phases.filter((p) => p.hub === results.kind).sort((a, b) => a.startUs - b.startUs);
  const files = (sub: string, ext: string) => {
    try {
      return readdirSync(path.join(dir, sub)).filter((f) => f.endsWith(ext) && names[pidOf(f)] !== undefined);
    } catch {
      return [];
    }
  };
  const cpu = files('cpu', '.cpuprofile').map((f) => analyzeCpu(path.join(dir, 'cpu', f), pidOf(f), names[pidOf(f)]!, phases));
  const heap = files('heap', '.heapprofile').map((f) => analyzeHeap(path.join(dir, 'heap', f), pidOf(f), names[pidOf(f)]!));
  const workloads = [...new Set([...phases.map((p) => workloadOf(p.name)), 'between phases'])];
  writeFileSync(path.join(dir, 'summary.json'), `${JSON.stringify({ phases, cpu, heap }, null, 2)}\n`);
  const md = path.join(dir, 'summary.md');
  writeFileSync(md, renderMarkdown(cpu, heap, workloads));
  return md;
}
