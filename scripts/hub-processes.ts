/**
 * The Node processes `make run` starts, in one list: adding a process to the hub is one line here.
 * nats-server is started before all of them (see local-hub.ts).
 */
import { BUS_ACCESS, type BusAccess } from './nats-access.js';

export interface HubProcess {
  /** Its name in the log prefix and in `TEAMHUB_READY <name> port=<n>`, the line it prints once it serves. */
  name: string;
  /** Its entry point without extension, relative to the repository: run as `dist/<entry>.js`. */
  entry: string;
  /**
   * Start order: every process of a wave starts together, once the earlier waves are ready. Auth
   * is alone in the first because it writes the internal secret file the others read at start.
   */
  wave: number;
  /**
   * The variable the process reads its gRPC listen address from. The launcher picks a free
   * loopback port once and keeps it across restarts, so the others reconnect to the same place.
   */
  listenEnv?: string;
  /** The variable the other processes read that address from (every process gets every one). */
  dialEnv?: string;
  /** It serves HTTP on HAPI_LISTEN_HOST / HAPI_LISTEN_PORT (the URL the banner shows). */
  http?: boolean;
  /** Flags for its Node runtime (before the entry point). */
  nodeFlags?: string[];
  /** Extra environment for this process only. */
  env?: Record<string, string>;
  /** What it may publish and subscribe to on NATS: it connects as a NATS user of its own with exactly that. */
  bus: BusAccess;
  /** Started only when this says so for the hub's environment (default: always). */
  enabled?: (env: NodeJS.ProcessEnv) => boolean;
  /**
   * Runs in a process of its own even when the other backend services share one
   * (TEAMHUB_SERVICE_PROCESSES=one), so its NATS user keeps rights the shared process must not get.
   */
  ownProcess?: boolean;
  /**
   * The services this one process hosts (TEAMHUB_SERVICE_PROCESSES=one): each gets its own
   * listen address and environment as if it were its own process.
   */
  hosts?: HubProcess[];
}

export const HUB_PROCESSES: readonly HubProcess[] = [
  { name: 'auth', entry: 'services/auth/main', wave: 1, listenEnv: 'TEAMHUB_AUTH_LISTEN', dialEnv: 'TEAMHUB_AUTH_ADDR', env: { TEAMHUB_ANNOUNCE_SECRETS: '1' }, bus: BUS_ACCESS.auth },
  { name: 'session', entry: 'services/session/main', wave: 2, listenEnv: 'TEAMHUB_SESSION_LISTEN', dialEnv: 'TEAMHUB_SESSION_ADDR', bus: BUS_ACCESS.session },
  { name: 'machine', entry: 'services/machine/main', wave: 2, listenEnv: 'TEAMHUB_MACHINE_LISTEN', dialEnv: 'TEAMHUB_MACHINE_ADDR', bus: BUS_ACCESS.machine },
  // Web Push, the hub-level records and (with TELEGRAM_BOT_TOKEN) the Telegram bot: always started,
  // the gateway serves push, devices, hub settings and the work graph from it. Its own process:
  // it reads every namespace's events and sends runner RPCs (the bot's permission answers), which
  // the process of auth, session and machine may not, and it waits on outside push services.
  // It allocates little (a push or toast per event, the gateway's rare settings and device calls),
  // so a young generation of 1 MiB semi-spaces (V8's default is 16) costs it no time and keeps
  // its memory down.
  { name: 'notify', entry: 'services/notify/main', wave: 2, listenEnv: 'TEAMHUB_NOTIFY_LISTEN', dialEnv: 'TEAMHUB_NOTIFY_ADDR', bus: BUS_ACCESS.notify, ownProcess: true, nodeFlags: ['--max-semi-space-size=1'] },
  // Young generation of 4 MiB semi-spaces (V8's default is 16): the gateway's memory under socket
  // load is mostly space V8 reserves for new objects, not live ones. Back to back on the bench's
  // quick run, this took its share of the hub's RSS down 5 MiB idle and 20-45 MiB with 100-300
  // sockets, at no measurable cost in CPU or create rate. Smaller (1-2 MiB) cost creates; the
  // services process at 4 MiB saved 20 MiB but its creates were no better for it (bench/PROFILE.md).
  { name: 'gateway', entry: 'gateway/main', wave: 3, http: true, bus: BUS_ACCESS.gateway, nodeFlags: ['--max-semi-space-size=4'] },
];

export const SERVICE_PROCESSES = ['one', 'split'] as const;
export type ServiceProcesses = (typeof SERVICE_PROCESSES)[number];

/**
 * The processes a hub with this environment starts. TEAMHUB_SERVICE_PROCESSES=one (the default)
 * runs the backend services (every process but the gateway and those marked `ownProcess`) in one
 * Node process, which saves a Node runtime per service; `split` starts one process per service,
 * as the containers do.
 */
export function hubProcessesFor(env: NodeJS.ProcessEnv): HubProcess[] {
  const enabled = HUB_PROCESSES.filter((p) => p.enabled?.(env) ?? true);
  if (serviceProcessesOf(env) === 'split') return enabled;
  const hosted = enabled.filter((p) => !p.http && !p.ownProcess);
  // One NATS user for the process, allowed what each service it hosts is allowed.
  const bus: BusAccess = {
    publish: [...new Set(hosted.flatMap((h) => h.bus.publish))],
    subscribe: [...new Set(hosted.flatMap((h) => h.bus.subscribe))],
  };
  const services: HubProcess = { name: 'services', entry: 'scripts/services-process', wave: 1, hosts: hosted, bus };
  // After the shared process (auth in it writes the internal secret file the others read at start).
  return [services, ...enabled.filter((p) => p.http || p.ownProcess).map((p) => ({ ...p, wave: 2 }))];
}

/** TEAMHUB_SERVICE_PROCESSES, checked (the launcher's config reads it once with a clear error). */
export function serviceProcessesOf(env: NodeJS.ProcessEnv): ServiceProcesses {
  const v = env.TEAMHUB_SERVICE_PROCESSES?.trim() || 'one';
  if (!(SERVICE_PROCESSES as readonly string[]).includes(v)) throw new Error(`TEAMHUB_SERVICE_PROCESSES must be one of ${SERVICE_PROCESSES.join('|')}, got ${JSON.stringify(v)}`);
  return v as ServiceProcesses;
}
