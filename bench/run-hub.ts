/**
 * One hub through every workload of the plan, in a fixed order, on a fresh data directory:
 * start → idle → creates → list/get → heartbeat loads → (teamhub) replicas → after-workload
 * memory → history → stop.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchHub, TeamhubBenchHub } from './hubs/bench-hub.js';
import { startReferenceHub } from './hubs/reference-hub.js';
import { startTeamhub } from './hubs/teamhub.js';
import type { LoadGenerator } from './load/generator.js';
import type { BenchOptions } from './options.js';
import { TreeMeter, type CpuWindow, type MemoryFigures } from './proc/tree-meter.js';
import { sleep } from './stats.js';
import type { RunContext } from './workloads/context.js';
import { runCreates, type CreateFigures } from './workloads/creates.js';
import { createLoadSessions, runHeartbeat, type HeartbeatFigures } from './workloads/heartbeat.js';
import { runHistory, type HistoryFigures } from './workloads/history.js';
import { HubApi } from './workloads/hub-api.js';
import { PhaseLog, type Phase } from './workloads/phase-log.js';
import { runReads, type ReadFigures } from './workloads/reads.js';
import { loadNamespaces, runReplicas, type ReplicaFigures } from './workloads/replicas.js';
import { waitForActivity } from './workloads/activity.js';

export interface HubResults {
  kind: 'teamhub' | 'hapi';
  label: string;
  /** Seconds from spawning the hub until it answered (teamhub: the launcher's ready banner). */
  startSec: number;
  idle: { memory: MemoryFigures; cpu: CpuWindow };
  creates?: CreateFigures;
  reads?: ReadFigures[];
  heartbeat?: HeartbeatFigures[];
  replicas?: ReplicaFigures;
  /** Memory once the workloads above are over and their sockets closed. */
  afterWorkload: { memory: MemoryFigures };
  history?: HistoryFigures;
  phases: Phase[];
  problems: string[];
  /** pid → process name, to tell the profiles apart (profiled runs only). */
  profiledProcesses?: Record<number, string>;
  /** Set when a workload failed: the figures above are those measured before it. */
  error?: string;
}

/**
 * The environment that makes every Node process of the hub profile itself and write a CPU and a
 * heap profile on exit (profile/preload.cjs; Node 20 refuses --cpu-prof in NODE_OPTIONS).
 */
export function profilingEnv(dir: string): Record<string, string> {
  mkdirSync(path.join(dir, 'cpu'), { recursive: true });
  mkdirSync(path.join(dir, 'heap'), { recursive: true });
  const preload = path.join(path.dirname(fileURLToPath(import.meta.url)), 'profile', 'preload.cjs');
  return { NODE_OPTIONS: [process.env.NODE_OPTIONS, `--require=${preload}`].filter(Boolean).join(' '), BENCH_PROFILE_DIR: dir };
}

async function startHub(kind: 'teamhub' | 'hapi', dataDir: string, baseToken: string, opts: BenchOptions): Promise<BenchHub> {
  if (kind === 'hapi') return startReferenceHub({ home: dataDir, baseToken });
  return startTeamhub({ dataDir, baseToken, env: opts.profileDir ? profilingEnv(opts.profileDir) : undefined });
}

export async function runHub(kind: 'teamhub' | 'hapi', opts: BenchOptions, gen: LoadGenerator, say: (line: string) => void): Promise<HubResults> {
  mkdirSync(opts.dataRoot, { recursive: true });
  const dataDir = mkdtempSync(path.join(opts.dataRoot, `${kind}-`));
  const baseToken = randomBytes(24).toString('base64url');
  const log = new PhaseLog(kind, say);
  const t0 = performance.now();
  const hub = await log.run('start', () => startHub(kind, dataDir, baseToken, opts));
  const startSec = +((performance.now() - t0) / 1000).toFixed(1);
  const meter = new TreeMeter(() => hub.roots());
  const profiled: Record<number, string> = {};
  // A pid keeps the name it was first given (the second gateway is named when it starts).
  const noteProcesses = () => {
    for (const [pid, name] of Object.entries(meter.names())) profiled[Number(pid)] ??= name;
  };
  const ctx: RunContext = {
    hub,
    api: new HubApi(hub.url, baseToken),
    plan: opts.plan,
    meter,
    gen,
    genMeter: new TreeMeter(() => gen.pids()),
    log,
    say,
    runId: randomBytes(4).toString('hex'),
    problems: [],
  };
  const has = (p: string) => opts.phases.includes(p as never);
  const problemsBefore = gen.problems.length;
  try {
    noteProcesses();
    const idle = await log.run('idle', async () => {
      await sleep(opts.plan.idleSettleSec * 1000);
      const cpu = await meter.cpuDuring(() => sleep(opts.plan.cpuWindowSec * 1000));
      return { memory: meter.memory(), cpu };
    });
    say(`    idle: ${idle.memory.processes.length} processes, RSS ${idle.memory.rssMiB} MiB (PSS ${idle.memory.pssMiB} MiB), CPU ${idle.cpu.cpuPct}%`);
    const out: HubResults = { kind, label: hub.label, startSec, idle, afterWorkload: { memory: idle.memory }, phases: log.phases, problems: [] };
    try {
      const listIds: string[] = [];
      let loadTargets: Array<{ sid: string; token: string }> = [];
      if (has('creates') || has('reads')) {
        const created = await runCreates(ctx, 'list');
        out.creates = created.figures;
        listIds.push(...created.listIds);
        say(`    creates/s: ${out.creates.sequential.perSec} one at a time, ${out.creates.concurrent.perSec} with ${out.creates.concurrent.inFlight} in flight`);
      }
      if (has('reads')) out.reads = await runReads(ctx, 'list', listIds);
      if (has('heartbeat') || has('replicas')) {
        const max = Math.max(...opts.plan.sockets, has('replicas') ? opts.plan.replicas.sockets : 0);
        const load = await createLoadSessions(ctx, max);
        loadTargets = load.targets;
        out.heartbeat = has('heartbeat') ? await runHeartbeat(ctx, load) : [];
        if (has('replicas') && hub.kind === 'teamhub') {
          const th = hub as TeamhubBenchHub;
          const withNames: TeamhubBenchHub = {
            ...th,
            startSecondGateway: async () => {
              const g = await th.startSecondGateway();
              noteProcesses();
              return g;
            },
          };
          out.replicas = await runReplicas(ctx, withNames, load, out.heartbeat);
        }
      }
      out.afterWorkload = await log.run('after workload', async () => {
        // Every load ended its sessions; this only confirms the hub shows them all inactive.
        if (loadTargets.length) await waitForActivity(ctx, loadNamespaces(loadTargets), false, 120_000);
        await sleep(opts.plan.idleSettleSec * 1000);
        return { memory: meter.memory() };
      });
      if (has('history')) out.history = await runHistory(ctx);
    } catch (err) {
      out.error = String((err as Error).stack ?? err);
      say(`  ${kind}: failed: ${out.error}`);
    }
    if (opts.profileDir && kind === 'teamhub') out.profiledProcesses = profiled;
    out.problems = [...ctx.problems, ...gen.problems.slice(problemsBefore)];
    return out;
  } finally {
    await log.run('stop', () => hub.stop());
    rmSync(dataDir, { recursive: true, force: true });
  }
}
