import type { TeamhubBenchHub } from '../hubs/bench-hub.js';
import type { SocketTarget } from '../load/protocol.js';
import type { RunContext } from './context.js';
import { runSocketLoad, type HeartbeatFigures } from './heartbeat.js';

/** Every namespace of the load (all their sessions are checked). */
export function loadNamespaces(targets: ReadonlyArray<{ token: string }>): Map<string, string[]> {
  return new Map([...new Set(targets.map((t) => t.token.slice(t.token.lastIndexOf(':') + 1)))].map((ns) => [ns, []]));
}

export interface ReplicaFigures {
  /** The same load through the launcher's one gateway, and spread over two replicas. */
  one: HeartbeatFigures;
  two: HeartbeatFigures;
}

/**
 * teamhub only: the same socket load through one gateway, then through two (a second gateway
 * process against the same services and NATS, sockets dealt alternately). Probes are posted to
 * the first gateway, so half of them cross replicas. `one` is reused when the heartbeat phase
 * already measured this load.
 */
export async function runReplicas(
  ctx: RunContext,
  hub: TeamhubBenchHub,
  load: { targets: Omit<SocketTarget, 'url'>[]; listNs: string },
  measured: HeartbeatFigures[],
): Promise<ReplicaFigures> {
  const { sockets, messagesPerSec } = ctx.plan.replicas;
  const targets = load.targets.slice(0, sockets);
  const earlier = measured.find((h) => h.sockets === sockets && h.loads.some((l) => l.messagesPerSec === messagesPerSec));
  const one = earlier
    ? { ...earlier, loads: earlier.loads.filter((l) => l.messagesPerSec === messagesPerSec) }
    : await runSocketLoad(ctx, { label: `replicas one ${sockets}`, urls: [hub.url], targets, rates: [messagesPerSec], listNs: load.listNs });
  const second = await ctx.log.run('start second gateway', () => hub.startSecondGateway());
  try {
    const two = await runSocketLoad(ctx, { label: `replicas two ${sockets}`, urls: [hub.url, second.url], targets, rates: [messagesPerSec], listNs: load.listNs });
    return { one, two };
  } finally {
    await second.stop();
  }
}
