/**
 * The one table of a run: every figure for teamhub and HAPI, the `teamhub / HAPI` ratio, and the
 * goal issue 12 sets for it (met or not). Markdown, so it can go into the README as printed.
 */
import type { HubResults } from '../run-hub.js';
import type { HeartbeatFigures } from '../workloads/heartbeat.js';
import type { LoadFigures } from '../workloads/load-measure.js';

export interface TableRow {
  figure: string;
  teamhub: string;
  hapi: string;
  ratio: string;
  goal: string;
  met: string;
}

type Better = 'higher' | 'lower';
type Get = (r: HubResults) => number | undefined;

export function fmt(v: number | undefined, unit = ''): string {
  if (v === undefined || !Number.isFinite(v)) return '–';
  if (Number.isInteger(v) && unit === "") return String(v);
  const digits = Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2;
  return `${v.toFixed(digits)}${unit}`;
}

const ratioText = (r: number | undefined) => (r === undefined || !Number.isFinite(r) ? '–' : `${r.toFixed(2)}×`);

/** teamhub / HAPI, and whether `goal` (a bound on that ratio) is met, for a figure of both hubs. */
function compared(figure: string, t: HubResults | undefined, h: HubResults | undefined, get: Get, unit: string, better: Better, goal?: number): TableRow {
  const tv = t ? get(t) : undefined;
  const hv = h ? get(h) : undefined;
  const ratio = tv !== undefined && hv !== undefined && hv !== 0 ? tv / hv : undefined;
  const goalText = goal === undefined ? '' : better === 'higher' ? `≥ ${goal}× HAPI` : `≤ ${goal}× HAPI`;
  const met = goal === undefined || ratio === undefined ? '' : (better === 'higher' ? ratio >= goal : ratio <= goal) ? 'yes' : 'no';
  return { figure, teamhub: fmt(tv, unit), hapi: fmt(hv, unit), ratio: ratioText(ratio), goal: goalText, met };
}

/** A hub's own before/after figure (e.g. full history vs empty hub), with a goal on that ratio. */
function ownChange(figure: string, t: HubResults | undefined, h: HubResults | undefined, before: Get, after: Get, unit: string, goal?: number): TableRow {
  const text = (r: HubResults | undefined) => {
    const b = r ? before(r) : undefined;
    const a = r ? after(r) : undefined;
    return b === undefined || a === undefined ? '–' : `${fmt(b, unit)} → ${fmt(a, unit)} (${ratioText(a / b)})`;
  };
  const tb = t ? before(t) : undefined;
  const ta = t ? after(t) : undefined;
  const ha = h ? after(h) : undefined;
  const own = tb !== undefined && ta !== undefined ? ta / tb : undefined;
  return {
    figure,
    teamhub: text(t),
    hapi: text(h),
    ratio: ratioText(ta !== undefined && ha !== undefined ? ta / ha : undefined),
    goal: goal === undefined ? '' : `teamhub ≤ ${goal}× its empty figure`,
    met: goal === undefined || own === undefined ? '' : own <= goal ? 'yes' : 'no',
  };
}

const load = (r: HubResults, sockets: number, rate: number): LoadFigures | undefined =>
  r.heartbeat?.find((h) => h.sockets === sockets)?.loads.find((l) => l.messagesPerSec === rate);
const beat = (r: HubResults, sockets: number): HeartbeatFigures | undefined => r.heartbeat?.find((h) => h.sockets === sockets);

export function buildRows(t: HubResults | undefined, h: HubResults | undefined): TableRow[] {
  const any = t ?? h;
  if (!any) return [];
  const rows: TableRow[] = [];
  const add = (figure: string, get: Get, unit: string, better: Better, goal?: number) => rows.push(compared(figure, t, h, get, unit, better, goal));

  add('start until ready', (r) => r.startSec, ' s', 'lower');
  add('processes started (idle)', (r) => r.idle.memory.processes.length, '', 'lower');
  add('idle RSS, all processes summed', (r) => r.idle.memory.rssMiB, ' MiB', 'lower', 1);
  add('idle PSS, all processes summed', (r) => r.idle.memory.pssMiB, ' MiB', 'lower');
  add('idle CPU', (r) => r.idle.cpu.cpuPct, '%', 'lower');
  if (any.creates) {
    const n = any.creates.sequential.n;
    const c = any.creates.concurrent.inFlight;
    add(`session creates/s, one at a time (${n})`, (r) => r.creates?.sequential.perSec, '', 'higher', 1.5);
    add('create p50 / p99, one at a time', (r) => r.creates?.sequential.p50ms, ' ms', 'lower', 1);
    rows[rows.length - 1] = withSecond(rows[rows.length - 1]!, t, h, (r) => r.creates?.sequential.p99ms, ' ms');
    add(`session creates/s, ${c} in flight`, (r) => r.creates?.concurrent.perSec, '', 'higher', 3);
    add(`create p99, ${c} in flight`, (r) => r.creates?.concurrent.p99ms, ' ms', 'lower', 1);
  }
  for (const size of any.reads?.map((x) => x.sessions) ?? []) {
    const rd = (r: HubResults) => r.reads?.find((x) => x.sessions === size);
    add(`GET /api/sessions p50, ${size} sessions`, (r) => rd(r)?.list.p50ms, ' ms', 'lower', 0.5);
    add(`GET /api/sessions p99, ${size} sessions`, (r) => rd(r)?.list.p99ms, ' ms', 'lower', 0.5);
    add(`GET /cli/sessions/:id p50, ${size} sessions`, (r) => rd(r)?.get.p50ms, ' ms', 'lower', 1);
    add(`GET /cli/sessions/:id p99, ${size} sessions`, (r) => rd(r)?.get.p99ms, ' ms', 'lower', 1);
  }
  for (const hb of any.heartbeat ?? []) {
    const n = hb.sockets;
    add(`time to connect ${n} CLI sockets`, (r) => (beat(r, n) ? beat(r, n)!.connect.ms / 1000 : undefined), ' s', 'lower', 1);
    for (const l of hb.loads) {
      const k = l.messagesPerSec;
      const at = `${n} sockets + ${k} msg/s`;
      add(`hub CPU (% of a core), ${at}`, (r) => load(r, n, k)?.cpu.cpuPct, '%', 'lower', 0.5);
      add(`hub RSS, ${at}`, (r) => load(r, n, k)?.memory.rssMiB, ' MiB', 'lower', 1);
      add(`web message → CLI update p50, ${at}`, (r) => load(r, n, k)?.webToCli.p50ms, ' ms', 'lower', 1);
      add(`web message → CLI update p99, ${at}`, (r) => load(r, n, k)?.webToCli.p99ms, ' ms', 'lower', 1);
      add(`GET /api/sessions p50 under load, ${at}`, (r) => load(r, n, k)?.listUnderLoad.p50ms, ' ms', 'lower', 1);
      add(`GET /api/sessions p99 under load, ${at}`, (r) => load(r, n, k)?.listUnderLoad.p99ms, ' ms', 'lower', 1);
    }
  }
  if (t?.replicas) {
    const one = t.replicas.one.loads[0]!;
    const two = t.replicas.two.loads[0]!;
    const r = two.cpu.cpuPct / one.cpu.cpuPct;
    rows.push({
      figure: `hub CPU, 1 → 2 gateway replicas (${one.sockets} sockets + ${one.messagesPerSec} msg/s)`,
      teamhub: `${fmt(one.cpu.cpuPct, '%')} → ${fmt(two.cpu.cpuPct, '%')} (${ratioText(r)})`,
      hapi: 'n/a',
      ratio: '–',
      goal: '2 replicas ≤ 1.15× one',
      met: r <= 1.15 ? 'yes' : 'no',
    });
    rows.push(compared(`web message → CLI update p99, 2 replicas`, t, undefined, (x) => x.replicas?.two.loads[0]?.webToCli.p99ms, ' ms', 'lower'));
  }
  if (any.history) {
    const hs = any.history;
    const at = `${hs.sessions} sessions, ${hs.sessions * hs.messagesPerSession} messages`;
    add(`history seeding, messages/s (${at})`, (r) => r.history?.seed.perSec, '', 'higher');
    add('hub CPU per stored message while seeding (all processes)', (r) => r.history?.seed.cpuMsPerMessage, ' ms', 'lower');
    rows.push(ownChange(`hub CPU, ${hs.sessions} sockets heartbeating: empty → ${at}`, t, h, (r) => r.history?.empty.load.cpu.cpuPct, (r) => r.history?.full.load.cpu.cpuPct, '%', 1.2));
    rows.push(ownChange(`GET /api/sessions p99 (${hs.sessions} sessions): empty → full`, t, h, (r) => r.history?.empty.load.listUnderLoad.p99ms, (r) => r.history?.full.load.listUnderLoad.p99ms, ' ms', 1.2));
    rows.push(ownChange('GET /api/sessions/:id/messages p99 (newest 50): empty → full', t, h, (r) => r.history?.empty.messagesPage.p99ms, (r) => r.history?.full.messagesPage.p99ms, ' ms', 1.2));
    rows.push(ownChange('hub RSS: empty → full', t, h, (r) => r.history?.empty.load.memory.rssMiB, (r) => r.history?.full.load.memory.rssMiB, ' MiB'));
  }
  add('RSS after the workload (sockets closed)', (r) => r.afterWorkload.memory.rssMiB, ' MiB', 'lower', 1);
  return rows;
}

/** Appends a second figure (" / p99") to both hub cells of a row; the ratio stays the first's. */
function withSecond(row: TableRow, t: HubResults | undefined, h: HubResults | undefined, get: Get, unit: string): TableRow {
  return { ...row, teamhub: `${row.teamhub} / ${fmt(t ? get(t) : undefined, unit)}`, hapi: `${row.hapi} / ${fmt(h ? get(h) : undefined, unit)}` };
}

export function renderMarkdown(rows: TableRow[]): string {
  const header = '| figure | teamhub | HAPI 0.30.7 | teamhub / HAPI | goal (issue 12) | met |';
  const rule = '| --- | --- | --- | --- | --- | --- |';
  return [header, rule, ...rows.map((r) => `| ${r.figure} | ${r.teamhub} | ${r.hapi} | ${r.ratio} | ${r.goal} | ${r.met} |`)].join('\n');
}

/** What generating each load cost, so a reader can judge how much it competed with the hub. */
export function generatorNotes(t: HubResults | undefined, h: HubResults | undefined): string[] {
  const lines: string[] = [];
  for (const r of [t, h]) {
    if (!r) continue;
    const loads = [...(r.heartbeat ?? []).flatMap((x) => x.loads), ...(r.replicas ? r.replicas.two.loads : [])];
    for (const l of loads) {
      lines.push(`${r.kind}, ${l.sockets} sockets + ${l.messagesPerSec} msg/s${l.gateways > 1 ? ` over ${l.gateways} gateways` : ''}: load workers ${fmt(l.generator.workersCpuPct, '%')}, bench process ${fmt(l.generator.benchCpuPct, '%')} of a core (hub ${fmt(l.cpu.cpuPct, '%')})`);
    }
  }
  return lines;
}
