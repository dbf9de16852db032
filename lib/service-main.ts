import { readFileSync } from 'node:fs';
import { ConfigError } from './config.js';
import { createRootLogger, type Logger } from './logger.js';
import { Shutdown } from './shutdown.js';
import { connectNats, type NatsConnection } from './nats/connection.js';
import { buildGrpcServer, type ServiceRegistration } from './grpc/server.js';

/** What every service's config has in common. */
export interface ServiceConfigBase {
  natsUrl: string;
  internalSecret: string;
  logLevel: string;
  /** host:port to bind the gRPC server on. */
  listen: string;
}

export interface OpenedStore<S> {
  store: S;
  close: () => Promise<void> | void;
}

export interface ServiceMainOptions<C extends ServiceConfigBase, S> {
  name: string;
  healthName: string;
  reflectionProtos: string[];
  loadConfig: (env: NodeJS.ProcessEnv) => C;
  openStore: (cfg: C, log: Logger) => Promise<OpenedStore<S>>;
  /** Composition: build the domain from store + nats and return the gRPC registrations. */
  compose: (deps: { cfg: C; log: Logger; nc: NatsConnection; store: S; shutdown: Shutdown }) => Promise<ServiceRegistration<any>[]> | ServiceRegistration<any>[];
}

/** Reads a secret file, or undefined when it does not exist (yet). */
export function readSecretFile(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * The composition root every service shares: config → logger → NATS → store → domain → gRPC
 * server, and the reverse on SIGTERM/SIGINT (health NOT_SERVING, tryShutdown with a deadline,
 * drain NATS, close the store). Exits 1 on a startup failure.
 */
export async function runServiceMain<C extends ServiceConfigBase, S>(opts: ServiceMainOptions<C, S>): Promise<void> {
  let cfg: C;
  try {
    cfg = opts.loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${opts.name}: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const log = createRootLogger(opts.name, cfg.logLevel);
  const shutdown = new Shutdown(log);
  shutdown.onSignals();
  try {
    const opened = await opts.openStore(cfg, log);
    shutdown.add('store', () => opened.close());
    const nc = await connectNats(cfg.natsUrl, opts.name, log);
    shutdown.add('nats', () => nc.drain());
    const services = await opts.compose({ cfg, log, nc, store: opened.store, shutdown });
    const server = buildGrpcServer({
      healthName: opts.healthName,
      internalSecret: cfg.internalSecret,
      log,
      services,
      reflectionProtos: opts.reflectionProtos,
    });
    const port = await server.listen(cfg.listen);
    shutdown.add('grpc', () => server.stop(5000));
    log.info({ listen: cfg.listen, port }, 'service listening');
    // Machine-readable line for launchers and tests.
    process.stdout.write(`TEAMHUB_READY ${opts.name} port=${port}\n`);
  } catch (err) {
    log.fatal({ err }, 'startup failed');
    await shutdown.run('startup failure');
    process.exit(1);
  }
}
