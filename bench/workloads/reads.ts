import { latencyStats, type LatencyStats } from '../stats.js';
import { createSessions, type RunContext } from './context.js';
import { inFlight } from './hub-api.js';

export interface ReadFigures {
  sessions: number;
  /** `GET /api/sessions` (web JWT) of a namespace holding `sessions` sessions. */
  list: LatencyStats & { returned: number };
  /** `GET /cli/sessions/:id` (namespace token). */
  get: LatencyStats;
}

/**
 * For each size in `plan.listSizes`: tops the namespace up to that many sessions, then times
 * `plan.reads` lists and `plan.reads` gets, one at a time.
 */
export async function runReads(ctx: RunContext, ns: string, ids: string[]): Promise<ReadFigures[]> {
  const out: ReadFigures[] = [];
  for (const size of ctx.plan.listSizes) {
    if (ids.length < size) ids.push(...(await ctx.log.run(`top up to ${size} sessions`, () => createSessions(ctx, ns, size - ids.length, `list-${ids.length}`))));
    let returned = 0;
    const list = await ctx.log.run(`list ${size}`, async () => {
      const t0 = performance.now();
      const lat = await inFlight(ctx.plan.reads, 1, async () => (returned = await ctx.api.listSessions(ns)));
      return { ...latencyStats(lat, performance.now() - t0), returned };
    });
    const get = await ctx.log.run(`get ${size}`, async () => {
      const t0 = performance.now();
      const lat = await inFlight(ctx.plan.reads, 1, (i) => ctx.api.getCliSession(ns, ids[(i * 7919) % ids.length]!));
      return latencyStats(lat, performance.now() - t0);
    });
    out.push({ sessions: size, list, get });
  }
  return out;
}
