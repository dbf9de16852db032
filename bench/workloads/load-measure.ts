/**
 * Measures a hub while a socket load runs: its CPU over a quiet window (heartbeats and agent
 * messages only), then web message → CLI `update` latency and `GET /api/sessions` latency
 * together, then its memory. The generator's own CPU is measured over the same window.
 */
import { namespaceOf, PROBE_PREFIX, type SocketTarget } from '../load/protocol.js';
import { TreeMeter, type CpuWindow, type MemoryFigures } from '../proc/tree-meter.js';
import { latencyStats, nowUs, sleep, type LatencyStats } from '../stats.js';
import type { RunContext } from './context.js';
import { timed } from './hub-api.js';

export interface LoadFigures {
  sockets: number;
  messagesPerSec: number;
  gateways: number;
  cpu: CpuWindow;
  memory: MemoryFigures;
  /** POST /api/sessions/:id/messages → the session's socket gets the `update` with it. */
  webToCli: LatencyStats & { lost: number };
  /** The POST itself. */
  webSend: LatencyStats;
  listUnderLoad: LatencyStats & { returned: number };
  /** What generating the load cost, over the CPU window (percent of one core). */
  generator: { workersCpuPct: number; benchCpuPct: number };
}

const PROBE_TIMEOUT_MS = 10_000;

async function probeLoop(ctx: RunContext, targets: SocketTarget[], label: string): Promise<{ webToCli: LoadFigures['webToCli']; webSend: LatencyStats }> {
  const arrived = new Map<string, number>();
  const waiting = new Map<string, () => void>();
  const off = ctx.gen.onUpdate((localId, atUs) => {
    if (arrived.has(localId)) return;
    arrived.set(localId, atUs);
    waiting.get(localId)?.();
  });
  const lat: number[] = [];
  const send: number[] = [];
  let lost = 0;
  const t0 = performance.now();
  try {
    for (let i = 0; i < ctx.plan.probes; i++) {
      const slot = performance.now() + ctx.plan.probeIntervalMs;
      const target = targets[(i * 7919) % targets.length]!;
      const localId = `${PROBE_PREFIX}${ctx.runId}-${label}-${i}`;
      const got = new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), PROBE_TIMEOUT_MS);
        waiting.set(localId, () => {
          clearTimeout(timer);
          resolve(true);
        });
        if (arrived.has(localId)) waiting.get(localId)!();
      });
      const startUs = nowUs();
      send.push(await timed(() => ctx.api.sendWebMessage(namespaceOf(target.token), target.sid, `bench probe ${i}`, localId)));
      if (await got) lat.push((arrived.get(localId)! - startUs) / 1000);
      else lost += 1;
      waiting.delete(localId);
      await sleep(Math.max(0, slot - performance.now()));
    }
  } finally {
    off();
  }
  const wall = performance.now() - t0;
  return { webToCli: { ...latencyStats(lat, wall), lost }, webSend: latencyStats(send, wall) };
}

async function listLoop(ctx: RunContext, ns: string): Promise<LoadFigures['listUnderLoad']> {
  const lat: number[] = [];
  let returned = 0;
  const t0 = performance.now();
  for (let i = 0; i < ctx.plan.probes; i++) {
    const slot = performance.now() + ctx.plan.probeIntervalMs;
    lat.push(await timed(async () => (returned = await ctx.api.listSessions(ns))));
    await sleep(Math.max(0, slot - performance.now()));
  }
  return { ...latencyStats(lat, performance.now() - t0), returned };
}

/** Measures the load already connected on `targets`, at `messagesPerSec` agent messages. */
export async function measureLoad(
  ctx: RunContext,
  opts: { label: string; targets: SocketTarget[]; messagesPerSec: number; listNs: string; gateways: number },
): Promise<LoadFigures> {
  ctx.gen.setMessageRate(opts.messagesPerSec);
  await ctx.log.run(`${opts.label} warmup`, () => sleep(ctx.plan.warmupSec * 1000));
  const cpu = await ctx.log.run(`${opts.label} cpu`, async () => {
    const gen0 = ctx.genMeter.snapshot();
    const self0 = process.cpuUsage();
    const hub = await ctx.meter.cpuDuring(() => sleep(ctx.plan.cpuWindowSec * 1000));
    const gen = TreeMeter.cpuBetween(gen0, ctx.genMeter.snapshot());
    const self = process.cpuUsage(self0);
    const benchCpuPct = +(((self.user + self.system) / 1e6 / hub.seconds) * 100).toFixed(1);
    return { hub, generator: { workersCpuPct: gen.cpuPct, benchCpuPct } };
  });
  const [probes, listUnderLoad] = await ctx.log.run(`${opts.label} probes`, () =>
    Promise.all([probeLoop(ctx, opts.targets, opts.label.replace(/\W+/g, '-')), listLoop(ctx, opts.listNs)]),
  );
  return {
    sockets: opts.targets.length,
    messagesPerSec: opts.messagesPerSec,
    gateways: opts.gateways,
    cpu: cpu.hub,
    memory: ctx.meter.memory(),
    webToCli: probes.webToCli,
    webSend: probes.webSend,
    listUnderLoad,
    generator: cpu.generator,
  };
}
