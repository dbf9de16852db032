import { latencyStats, type LatencyStats } from '../stats.js';
import type { RunContext } from './context.js';
import { inFlight } from './hub-api.js';

export interface CreateFigures {
  sequential: LatencyStats;
  concurrent: LatencyStats & { inFlight: number };
}

/** `POST /cli/sessions`: `plan.creates` one at a time, then as many with `createConcurrency` in flight. */
export async function runCreates(ctx: RunContext, listNs: string): Promise<{ figures: CreateFigures; listIds: string[] }> {
  const { creates, createConcurrency } = ctx.plan;
  const listIds: string[] = [];
  const sequential = await ctx.log.run('creates sequential', async () => {
    const t0 = performance.now();
    const lat = await inFlight(creates, 1, async (i) => listIds.push(await ctx.api.createSession(listNs, `${ctx.runId}-list-${i}`)));
    return latencyStats(lat, performance.now() - t0);
  });
  const concurrent = await ctx.log.run(`creates ${createConcurrency} in flight`, async () => {
    const t0 = performance.now();
    const lat = await inFlight(creates, createConcurrency, (i) => ctx.api.createSession('create-conc', `${ctx.runId}-conc-${i}`));
    return { ...latencyStats(lat, performance.now() - t0), inFlight: createConcurrency };
  });
  return { figures: { sequential, concurrent }, listIds };
}
