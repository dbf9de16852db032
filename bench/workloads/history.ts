/**
 * Cost as history grows: sessions with their sockets heartbeating, measured empty, then again
 * after every session got `messagesPerSession` agent messages through its socket (the CLI's own
 * `message` event, the same for both hubs). Heartbeat CPU, list p99 and the newest-messages page
 * should stay about where they were, and memory bounded.
 */
import { TreeMeter, type CpuWindow } from '../proc/tree-meter.js';
import { latencyStats, type LatencyStats } from '../stats.js';
import { sessionsByNamespace, waitForActivity } from './activity.js';
import { createSessions, type RunContext } from './context.js';
import { inFlight } from './hub-api.js';
import { measureLoad, type LoadFigures } from './load-measure.js';

export interface HistoryPoint {
  load: LoadFigures;
  /** `GET /api/sessions/:id/messages?limit=50` (the page the web app opens a session with). */
  messagesPage: LatencyStats;
}

export interface HistoryFigures {
  sessions: number;
  messagesPerSession: number;
  /** Storing the history: its rate, and the hub's CPU meanwhile (per message: all processes summed). */
  seed: { messages: number; ms: number; perSec: number; cpu: CpuWindow; cpuMsPerMessage: number };
  empty: HistoryPoint;
  full: HistoryPoint;
}

const NS = 'history';

async function measurePoint(ctx: RunContext, label: string, targets: { url: string; sid: string; token: string }[]): Promise<HistoryPoint> {
  const load = await measureLoad(ctx, { label: `history ${label}`, targets, messagesPerSec: 0, listNs: NS, gateways: 1 });
  const messagesPage = await ctx.log.run(`history ${label} messages page`, async () => {
    const t0 = performance.now();
    const lat = await inFlight(ctx.plan.reads, 1, (i) => ctx.api.latestMessages(NS, targets[(i * 7919) % targets.length]!.sid, 50));
    return latencyStats(lat, performance.now() - t0);
  });
  ctx.say(`    ${label}: hub CPU ${load.cpu.cpuPct}%, list p99 ${load.listUnderLoad.p99ms} ms, messages page p99 ${messagesPage.p99ms} ms, RSS ${load.memory.rssMiB} MiB`);
  return { load, messagesPage };
}

export async function runHistory(ctx: RunContext): Promise<HistoryFigures> {
  const { sessions, messagesPerSession, batch, lanes } = ctx.plan.history;
  const ids = await ctx.log.run(`create ${sessions} history sessions`, () => createSessions(ctx, NS, sessions, 'history'));
  const targets = ids.map((sid) => ({ url: ctx.hub.url, sid, token: ctx.api.token(NS) }));
  const connect = await ctx.log.run('history connect', () => ctx.gen.connect(targets, { concurrency: ctx.plan.connectConcurrency, rpcMethods: ctx.plan.rpcMethods }));
  if (connect.failed > 0) throw new Error(`history: ${connect.failed} sockets failed to connect: ${connect.firstError}`);
  await ctx.log.run('history activation', () => waitForActivity(ctx, sessionsByNamespace(targets), true, 120_000));
  try {
    const empty = await measurePoint(ctx, 'empty', targets);
    const jwts = { [NS]: await ctx.api.webJwt(NS) };
    let lastSaid = 0;
    const before = ctx.meter.snapshot();
    const seeded = await ctx.log.run(`seed ${sessions * messagesPerSession} messages`, () =>
      ctx.gen.seed(ctx.hub.url, jwts, { perSession: messagesPerSession, batch, lanes }, (stored) => {
        if (Date.now() - lastSaid < 30_000) return;
        lastSaid = Date.now();
        ctx.say(`    seeded ${stored} messages`);
      }),
    );
    const cpu = TreeMeter.cpuBetween(before, ctx.meter.snapshot());
    const cpuMsPerMessage = +((cpu.cpuPct / 100) * cpu.seconds * 1000 / Math.max(1, seeded.messages)).toFixed(3);
    const seed = { ...seeded, perSec: +((seeded.messages / seeded.ms) * 1000).toFixed(0), cpu, cpuMsPerMessage };
    ctx.say(`    seeded ${seed.messages} messages in ${(seed.ms / 1000).toFixed(0)} s (${seed.perSec}/s, hub CPU ${cpu.cpuPct}%, ${cpuMsPerMessage} ms per message)`);
    const full = await measurePoint(ctx, 'full', targets);
    return { sessions, messagesPerSession, seed, empty, full };
  } finally {
    await ctx.gen.disconnect();
    await ctx.log.run('history end', () => waitForActivity(ctx, sessionsByNamespace(targets), false, 120_000));
  }
}
