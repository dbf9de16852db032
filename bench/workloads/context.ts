import type { BenchHub } from '../hubs/bench-hub.js';
import type { LoadGenerator } from '../load/generator.js';
import type { Plan } from '../options.js';
import type { TreeMeter } from '../proc/tree-meter.js';
import type { HubApi } from './hub-api.js';
import type { PhaseLog } from './phase-log.js';

/** Everything a workload needs while it runs against one hub. */
export interface RunContext {
  hub: BenchHub;
  api: HubApi;
  plan: Plan;
  /** The hub's processes. */
  meter: TreeMeter;
  gen: LoadGenerator;
  /** The load workers' processes (the generator's own cost, reported beside the hub's). */
  genMeter: TreeMeter;
  log: PhaseLog;
  say: (line: string) => void;
  /** Unique per run, so tags and localIds never collide with an earlier run's. */
  runId: string;
  /** Things that went wrong without stopping the run (kept in the results). */
  problems: string[];
}

/** Creates `count` sessions in `ns` with 16 creates in flight (untimed set-up). */
export async function createSessions(ctx: RunContext, ns: string, count: number, tagPrefix: string): Promise<string[]> {
  const ids: string[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(16, count) }, async () => {
      for (let i = next++; i < count; i = next++) ids[i] = await ctx.api.createSession(ns, `${ctx.runId}-${tagPrefix}-${i}`);
    }),
  );
  return ids;
}
