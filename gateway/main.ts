import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { ConfigError } from '../lib/config.js';
import { createRootLogger } from '../lib/logger.js';
import { Shutdown } from '../lib/shutdown.js';
import { connectNats } from '../lib/nats/connection.js';
import { loadGatewayConfig } from './config.js';
import { buildClients, closeClients } from './clients.js';
import { GatewayAuthenticator } from './http/authenticator.js';
import { buildGateway } from './app.js';
import { loadMetricsConfig, type MetricsConfig } from '../lib/metrics/config.js';
import { startProcessMetrics } from '../lib/metrics/process.js';
import { loadTracingConfig, type TracingConfig } from '../lib/tracing/config.js';
import { startTracing } from '../lib/tracing/setup.js';

/**
 * The gateway's composition root: config → logger → NATS → service clients → authenticator →
 * app → listen; the reverse on SIGTERM/SIGINT. Prints `TEAMHUB_READY gateway port=<n>`.
 */
async function main(): Promise<void> {
  let cfg;
  let metricsCfg: MetricsConfig;
  let tracingCfg: TracingConfig;
  try {
    cfg = loadGatewayConfig(process.env);
    metricsCfg = loadMetricsConfig(process.env);
    tracingCfg = loadTracingConfig(process.env, 'gateway');
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`gateway: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const log = createRootLogger('gateway', cfg.logLevel);
  const shutdown = new Shutdown(log);
  shutdown.onSignals();
  const replicaId = `${os.hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    // Before the service clients are built: their tracing interceptor is chosen then.
    const tracing = await startTracing(tracingCfg, log);
    shutdown.add('tracing', () => tracing.shutdown());
    const { server: metricsServer } = await startProcessMetrics('gateway', metricsCfg, log);
    if (metricsServer) shutdown.add('metrics', () => metricsServer.close());
    const nc = await connectNats(cfg, `gateway-${replicaId}`, log);
    shutdown.add('nats', () => nc.drain());
    const clients = buildClients(cfg);
    shutdown.add('clients', () => closeClients(clients));
    const auth = new GatewayAuthenticator({ clients, nc, log, tokenCacheMs: cfg.tokenCacheMs, internalSecret: cfg.internalSecret });
    shutdown.add('authenticator', () => auth.close());
    await auth.start();
    const { app, live } = await buildGateway({ cfg, log, clients, nc, auth, replicaId });
    shutdown.add('http', () => app.close());
    shutdown.add('live', () => live.close());
    await app.listen({ host: cfg.listenHost, port: cfg.listenPort });
    const addr = app.server.address();
    const port = typeof addr === 'object' && addr ? addr.port : cfg.listenPort;
    log.info({ host: cfg.listenHost, port, replicaId }, 'gateway listening');
    process.stdout.write(`TEAMHUB_READY gateway port=${port}\n`);
  } catch (err) {
    log.fatal({ err }, 'gateway startup failed');
    await shutdown.run('startup failure');
    process.exit(1);
  }
}

void main();
