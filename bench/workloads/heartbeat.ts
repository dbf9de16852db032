import type { ConnectResult } from '../load/generator.js';
import type { SocketTarget } from '../load/protocol.js';
import { sessionsByNamespace, waitForActivity } from './activity.js';
import { createSessions, type RunContext } from './context.js';
import { measureLoad, type LoadFigures } from './load-measure.js';

export interface HeartbeatFigures {
  sockets: number;
  gateways: number;
  connect: ConnectResult;
  /** One per agent message rate, measured on the same connected sockets. */
  loads: LoadFigures[];
}

/** The load's sessions (`load-0` … `load-<k-1>`, dealt round-robin), one socket target each. */
export async function createLoadSessions(ctx: RunContext, count: number): Promise<{ targets: Omit<SocketTarget, 'url'>[]; listNs: string }> {
  const k = ctx.plan.loadNamespaces;
  const perNs = await ctx.log.run(`create ${count} load sessions`, () =>
    Promise.all(Array.from({ length: k }, (_, n) => createSessions(ctx, `load-${n}`, Math.ceil((count - n) / k), `load-${n}`))),
  );
  const targets: Omit<SocketTarget, 'url'>[] = [];
  for (let i = 0; i < count; i++) targets.push({ sid: perNs[i % k]![Math.floor(i / k)]!, token: ctx.api.token(`load-${i % k}`) });
  return { targets, listNs: 'load-0' };
}

/** Connects `targets` spread over `urls`, measures each message rate, disconnects. */
export async function runSocketLoad(
  ctx: RunContext,
  opts: { label: string; urls: string[]; targets: Omit<SocketTarget, 'url'>[]; rates: number[]; listNs: string },
): Promise<HeartbeatFigures> {
  const targets = opts.targets.map((t, i) => ({ ...t, url: opts.urls[i % opts.urls.length]! }));
  const connect = await ctx.log.run(`${opts.label} connect`, () => ctx.gen.connect(targets, { concurrency: ctx.plan.connectConcurrency, rpcMethods: ctx.plan.rpcMethods }));
  if (connect.failed > 0) ctx.say(`    ${connect.failed} of ${targets.length} sockets failed to connect: ${connect.firstError}`);
  const failed = new Set(connect.failedSids);
  const connected = targets.filter((t) => !failed.has(t.sid));
  if (connected.length === 0) throw new Error(`${opts.label}: no socket connected: ${connect.firstError}`);
  await ctx.log.run(`${opts.label} activation`, () => waitForActivity(ctx, sessionsByNamespace(connected), true, 120_000));
  try {
    const loads: LoadFigures[] = [];
    for (const rate of opts.rates) {
      const figures = await measureLoad(ctx, { label: `${opts.label} ${rate} msg/s`, targets: connected, messagesPerSec: rate, listNs: opts.listNs, gateways: opts.urls.length });
      ctx.say(`    ${rate} msg/s: hub CPU ${figures.cpu.cpuPct}%, web→CLI p50 ${figures.webToCli.p50ms} ms, list p50 ${figures.listUnderLoad.p50ms} ms`);
      loads.push(figures);
    }
    return { sockets: targets.length, gateways: opts.urls.length, connect, loads };
  } finally {
    await ctx.gen.disconnect();
    // Every load starts from inactive sessions, and no expiry lands in a later CPU window.
    await ctx.log.run(`${opts.label} end`, () => waitForActivity(ctx, sessionsByNamespace(connected), false, 120_000));
  }
}

/** The heartbeat load at each socket count of the plan, through the hub's one gateway. */
export async function runHeartbeat(ctx: RunContext, load: { targets: Omit<SocketTarget, 'url'>[]; listNs: string }): Promise<HeartbeatFigures[]> {
  const out: HeartbeatFigures[] = [];
  for (const n of ctx.plan.sockets) {
    const figures = await runSocketLoad(ctx, { label: `heartbeat ${n}`, urls: [ctx.hub.url], targets: load.targets.slice(0, n), rates: ctx.plan.messageRates, listNs: load.listNs });
    ctx.say(`    connected ${figures.connect.ok} sockets in ${(figures.connect.ms / 1000).toFixed(1)} s`);
    out.push(figures);
  }
  return out;
}
