import { ConfigError, type NatsSettings } from './config.js';
import { createRootLogger, type Logger } from './logger.js';
import { Shutdown } from './shutdown.js';
import { connectNats, type NatsConnection } from './nats/connection.js';
import { buildGrpcServer, type AroundCall, type ServiceRegistration } from './grpc/server.js';
import type { ClosableStore } from './store/open.js';
import { loadMetricsConfig, type MetricsConfig } from './metrics/config.js';
import { startProcessMetrics } from './metrics/process.js';
import { measureStore } from './metrics/store.js';
import { loadTracingConfig, type TracingConfig } from './tracing/config.js';
import { startTracing } from './tracing/setup.js';
import { loadReflectionConfig, type ReflectionConfig } from './grpc/reflection-config.js';

/** What every service's config has in common. */
export interface ServiceConfigBase extends NatsSettings {
  logLevel: string;
  /** host:port to bind the gRPC server on. */
  listen: string;
}

/** What a service's composition hands back to the shared main. */
export interface ComposedService {
  services: ServiceRegistration<any>[];
  /**
   * The secret every internal call to this server must carry. Most services read it from their
   * config; the auth service resolves it from its store first (it generates it on first start).
   */
  internalSecret: string;
  /** Wraps every gRPC call (a store's unit of work, so a call's writes and its events commit together). */
  aroundCall?: AroundCall;
}

export interface ServiceMainOptions<C extends ServiceConfigBase, S extends ClosableStore> {
  name: string;
  healthName: string;
  /** Served through gRPC server reflection when TEAMHUB_GRPC_REFLECTION is on. */
  reflectionProtos: string[];
  loadConfig: (env: NodeJS.ProcessEnv) => C;
  /** Opens the service's store (after NATS, which a store may live in: the Telegram bot's). */
  openStore: (deps: { cfg: C; log: Logger; nc: NatsConnection }) => Promise<S>;
  /** Composition: build the domain from store + NATS and return the gRPC registrations. */
  compose: (deps: { cfg: C; log: Logger; nc: NatsConnection; store: S; shutdown: Shutdown }) => Promise<ComposedService> | ComposedService;
}

/**
 * Several services in one process (`make run`'s default: one Node runtime instead of one per
 * service). Each still has its own config, logger, NATS connection, store and gRPC server on its
 * own loopback port, so they talk to each other exactly as separate processes do. What changes:
 * one SIGTERM/SIGINT handler stops every hosted service (the last started first) before the
 * process exits, instead of the first service's handler exiting under the others.
 */
class ProcessHost {
  private readonly shutdowns: Shutdown[] = [];
  private stopping: Promise<void> | null = null;

  constructor() {
    const handler = (signal: NodeJS.Signals) => void this.stopAll(signal).finally(() => process.exit(0));
    process.once('SIGTERM', handler);
    process.once('SIGINT', handler);
  }

  add(shutdown: Shutdown): void {
    this.shutdowns.push(shutdown);
  }

  stopAll(reason: string): Promise<void> {
    this.stopping ??= (async () => {
      for (const s of [...this.shutdowns].reverse()) await s.run(reason);
    })();
    return this.stopping;
  }
}

let host: ProcessHost | null = null;

/** Called once by an entry point that runs several services' mains in this process, before it imports them. */
export function hostServicesInThisProcess(): void {
  host ??= new ProcessHost();
}

/**
 * The composition root every service shares: config → logger → NATS → store → domain → gRPC
 * server, and the reverse on SIGTERM/SIGINT (health NOT_SERVING, tryShutdown with a deadline,
 * close the store, drain NATS). Exits 1 on a startup failure.
 */
export async function runServiceMain<C extends ServiceConfigBase, S extends ClosableStore>(opts: ServiceMainOptions<C, S>): Promise<void> {
  let cfg: C;
  let metricsCfg: MetricsConfig;
  let tracingCfg: TracingConfig;
  let reflection: ReflectionConfig;
  try {
    cfg = opts.loadConfig(process.env);
    metricsCfg = loadMetricsConfig(process.env);
    tracingCfg = loadTracingConfig(process.env, opts.name);
    reflection = loadReflectionConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${opts.name}: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const log = createRootLogger(opts.name, cfg.logLevel);
  const shutdown = new Shutdown(log);
  if (host) host.add(shutdown);
  else shutdown.onSignals();
  try {
    // Before anything that makes or serves a call: the gRPC hooks are chosen when they are built.
    const tracing = await startTracing(tracingCfg, log);
    shutdown.add('tracing', () => tracing.shutdown());
    const { server: metricsServer } = await startProcessMetrics(opts.name, metricsCfg, log);
    if (metricsServer) shutdown.add('metrics', () => metricsServer.close());
    const nc = await connectNats(cfg, opts.name, log);
    shutdown.add('nats', () => nc.drain());
    // Every store call is timed (teamhub_store_operation_seconds).
    const store = measureStore(await opts.openStore({ cfg, log, nc }));
    shutdown.add('store', () => store.close());
    const composed = await opts.compose({ cfg, log, nc, store, shutdown });
    const server = buildGrpcServer({
      healthName: opts.healthName,
      internalSecret: composed.internalSecret,
      log,
      services: composed.services,
      reflectionProtos: reflection.enabled ? opts.reflectionProtos : [],
      aroundCall: composed.aroundCall,
    });
    const port = await server.listen(cfg.listen);
    shutdown.add('grpc', () => server.stop(5000));
    log.info({ listen: cfg.listen, port }, 'service listening');
    // Machine-readable line for launchers and tests.
    process.stdout.write(`TEAMHUB_READY ${opts.name} port=${port}\n`);
  } catch (err) {
    log.fatal({ err }, 'startup failed');
    // Hosted with others: they stop too, and the supervisor restarts the process as a whole.
    await (host ? host.stopAll('startup failure') : shutdown.run('startup failure'));
    process.exit(1);
  }
}
