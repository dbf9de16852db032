import type { Logger } from '../logger.js';
import type { MetricsConfig } from './config.js';
import { hubMetrics, type HubMetrics } from './registry.js';
import { startMetricsServer, type MetricsServer } from './server.js';

/**
 * One listener per OS process: when several services are hosted in one process (make run's
 * default), they share its registry and its TEAMHUB_METRICS_LISTEN address, so the first one
 * to start opens the listener and the last one to stop closes it.
 */
let shared: { address: string; server: Promise<MetricsServer>; users: number } | undefined;

function acquire(address: string, metrics: HubMetrics, log: Logger): Promise<MetricsServer> {
  if (shared && shared.address === address) {
    shared.users += 1;
  } else {
    shared = { address, server: startMetricsServer(address, metrics, log), users: 1 };
    shared.server.catch(() => {
      shared = undefined;
    });
  }
  const mine = shared;
  return mine.server.then((server) => ({
    ...server,
    close: async () => {
      mine.users -= 1;
      if (mine.users > 0) return;
      if (shared === mine) shared = undefined;
      await server.close();
    },
  }));
}

/**
 * Names this process in its series (the first service of a process names it) and, when
 * TEAMHUB_METRICS_LISTEN says so, serves them on their own listener. Prints
 * `TEAMHUB_METRICS <name> url=<url>` once listening, for launchers and tests (like `TEAMHUB_READY`).
 */
export async function startProcessMetrics(name: string, cfg: MetricsConfig, log: Logger): Promise<{ metrics: HubMetrics; server: MetricsServer | null }> {
  const metrics = hubMetrics();
  if (!shared) metrics.setProcessName(name);
  if (!cfg.listen) return { metrics, server: null };
  const server = await acquire(cfg.listen, metrics, log);
  process.stdout.write(`TEAMHUB_METRICS ${name} url=${server.url}\n`);
  return { metrics, server };
}
