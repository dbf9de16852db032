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

/**
 * The gateway's composition root: config → logger → NATS → service clients → authenticator →
 * app → listen; the reverse on SIGTERM/SIGINT. Prints `TEAMHUB_READY gateway port=<n>`.
 */
async function main(): Promise<void> {
  let cfg;
  try {
    cfg = loadGatewayConfig(process.env);
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
    const nc = await connectNats(cfg.natsUrl, `gateway-${replicaId}`, log);
    shutdown.add('nats', () => nc.drain());
    const clients = buildClients(cfg);
    shutdown.add('clients', () => closeClients(clients));
    const auth = new GatewayAuthenticator({ clients, nc, log });
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
