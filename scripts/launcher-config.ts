/** The launcher's own settings (`make run`), read and checked once at start. */
import { EnvReader, type Env } from '../lib/config.js';
import { DEFAULT_RESTART_POLICY, type RestartPolicy } from './restart-policy.js';
import { SERVICE_PROCESSES, type ServiceProcesses } from './hub-processes.js';

export interface LauncherConfig {
  dataDir: string;
  host: string;
  port: number;
  restart: RestartPolicy;
  /** one: the backend services in one Node process (default); split: a process per service. */
  serviceProcesses: ServiceProcesses;
}

export function loadLauncherConfig(env: Env): LauncherConfig {
  const r = new EnvReader(env);
  const d = DEFAULT_RESTART_POLICY;
  const restart: RestartPolicy = {
    limit: r.int('TEAMHUB_RESTART_LIMIT', d.limit, { min: 1, max: 1000 }),
    windowMs: r.int('TEAMHUB_RESTART_WINDOW_MS', d.windowMs, { min: 1000, max: 24 * 3600_000 }),
    backoffMs: r.int('TEAMHUB_RESTART_BACKOFF_MS', d.backoffMs, { min: 0, max: 600_000 }),
    maxBackoffMs: d.maxBackoffMs,
  };
  restart.maxBackoffMs = Math.max(restart.maxBackoffMs, restart.backoffMs);
  return r.done({
    dataDir: r.str('TEAMHUB_DATA_DIR', '.teamhub'),
    host: r.str('HAPI_LISTEN_HOST', '127.0.0.1'),
    port: r.port('HAPI_LISTEN_PORT', 3006),
    restart,
    serviceProcesses: r.oneOf('TEAMHUB_SERVICE_PROCESSES', SERVICE_PROCESSES, 'one'),
  });
}
