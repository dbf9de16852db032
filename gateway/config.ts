import path from 'node:path';
import { EnvReader, readCommon, readSecretFile, type Env, type EventSettings, type NatsSettings } from '../lib/config.js';
import { DEFAULT_MAX_JSON_DEPTH } from '../lib/json.js';
import { readContentLimits, type ContentLimits } from '../lib/limits.js';
import { readTrustedProxies } from './http/client-address.js';

/** Gateway settings, read and validated once by `loadGatewayConfig`. */
export interface GatewayConfig extends NatsSettings, EventSettings {
  listenHost: string;
  listenPort: number;
  publicUrl: string;
  /** Allowed browser origins; '*' allows any. The CLI sends no Origin and is always allowed. */
  corsOrigins: string[];
  authAddr: string;
  sessionAddr: string;
  machineAddr: string;
  /** The notify service: push subscriptions, devices, hub settings, the work graph. */
  notifyAddr: string;
  /** TEAMHUB_STORE and TEAMHUB_DATA_DIR as the services read them (the storage route reports their SQLite files). */
  storeKind: 'sqlite' | 'mongo';
  dataDir: string;
  internalSecret: string;
  logLevel: string;
  /**
   * The level of the two lines logged per HTTP request (`incoming request`, `request completed`):
   * `debug` by default, since at `info` they were about 7% of the gateway's CPU on HTTP loads plus
   * the launcher's reformatting; the containers run them at `info` (counted per replica there).
   */
  requestLogLevel: 'info' | 'debug' | 'trace';
  /** Largest accepted request body (TEAMHUB_MAX_BODY_BYTES, default 8 MiB). */
  maxBodyBytes: number;
  /** Deepest nesting of client JSON (bodies and socket payloads) before it is refused (TEAMHUB_MAX_JSON_DEPTH, default 100). */
  maxJsonDepth: number;
  /** Session inactive after this long without `session-alive` (HAPI: 30 s). */
  sessionTimeoutMs: number;
  /** Machine offline after this long without `machine-alive` (HAPI: 45 s). */
  machineTimeoutMs: number;
  /** How often expiry is checked (HAPI: 5 s). */
  sweepIntervalMs: number;
  /** Hub → socket RPC timeout (HAPI: 30 s). */
  rpcTimeoutMs: number;
  /**
   * How long a resume waits for the session to come alive, and a local handoff for the remote
   * CLI to end (HAPI: 15 s each).
   */
  sessionTransitionWaitMs: number;
  /** Replica lease TTL in the NATS KV bucket; a dead replica's sockets are swept after it. */
  replicaLeaseMs: number;
  /** SSE heartbeat interval (HAPI: 30 s). */
  sseHeartbeatMs: number;
  /** Web terminals one page socket, and one session, may have open (HAPI_TERMINAL_MAX_TERMINALS; HAPI: 4). */
  terminalMaxTerminals: number;
  /** A web terminal without input or output for this long is closed (HAPI_TERMINAL_IDLE_TIMEOUT_MS; HAPI: 15 min). */
  terminalIdleTimeoutMs: number;
  /** Where the built web page lives (served at /). */
  webDir: string;
  /**
   * The reverse proxies in front whose X-Forwarded-For is believed (TEAMHUB_TRUST_PROXY):
   * addresses, CIDRs or proxy-addr's names (loopback, linklocal, uniquelocal). The client is the
   * rightmost hop that is not one of them, so a client cannot choose its own address by sending
   * the header. Empty: the header is ignored (no proxy in front).
   */
  trustedProxies: string[];
  /**
   * An SSE stream or CLI socket with more than this many bytes still unsent is disconnected
   * (TEAMHUB_LIVE_MAX_BUFFERED_BYTES); it reconnects and resumes by itself.
   */
  liveMaxBufferedBytes: number;
  /** Fair-share limits on live connections (each per gateway replica). */
  limits: ConnectionLimits;
  /** Largest message and client document (also enforced by the services). */
  content: ContentLimits;
  /** Largest body accepted before the request's credential is checked (TEAMHUB_PREAUTH_BODY_BYTES). */
  preAuthBodyBytes: number;
  /** A socket that has not authenticated within this time is closed (TEAMHUB_SOCKET_AUTH_TIMEOUT_MS). */
  socketAuthTimeoutMs: number;
  /** How long a good access token's namespace is cached (0–5000 ms; 0: every request asks auth). */
  tokenCacheMs: number;
}

/** Live connections one credential and one namespace may hold on one gateway replica. */
export interface ConnectionLimits {
  socketsPerCredential: number;
  socketsPerNamespace: number;
  sseStreamsPerCredential: number;
  sseStreamsPerNamespace: number;
  /** `rpc-register`ed methods one socket may hold. */
  rpcMethodsPerSocket: number;
}

export const DEFAULT_GATEWAY_PORT = 3006;

/** The origin of a URL, or null when it is not an absolute http(s) URL. */
function originOf(url: string): string | null {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.origin : null;
  } catch {
    return null;
  }
}

function readCorsOrigins(r: EnvReader, publicUrl: string): string[] {
  const raw = r.str('CORS_ORIGINS');
  if (raw === undefined) {
    const o = originOf(publicUrl);
    return o ? [o] : [];
  }
  const items = raw.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  const out: string[] = [];
  for (const item of items) {
    if (item === '*') {
      out.push('*');
      continue;
    }
    const o = originOf(item);
    if (o) out.push(o);
    else r.problem(`CORS_ORIGINS entry ${JSON.stringify(item)} is not an http(s) origin`);
  }
  return out;
}

function readAddr(r: EnvReader, name: string, fallback: string): string {
  const v = r.str(name, fallback);
  if (!/^[^\s:]+:\d{1,5}$/.test(v) && !/^\[[^\]]+\]:\d{1,5}$/.test(v)) r.problem(`${name} must be host:port, got ${JSON.stringify(v)}`);
  return v;
}

/** Reads and validates the gateway's environment once; throws one ConfigError listing every problem. */
export function loadGatewayConfig(env: Env): Readonly<GatewayConfig> {
  const r = new EnvReader(env);
  const common = readCommon(r, readSecretFile);
  const listenHost = r.str('HAPI_LISTEN_HOST', '127.0.0.1');
  const listenPort = r.port('HAPI_LISTEN_PORT', DEFAULT_GATEWAY_PORT);
  const publicUrl = r.str('HAPI_PUBLIC_URL', `http://localhost:${listenPort}`).replace(/\/+$/, '');
  if (!originOf(publicUrl)) r.problem(`HAPI_PUBLIC_URL must be an http(s) URL, got ${JSON.stringify(publicUrl)}`);
  const ms = (name: string, fallback: number) => r.int(name, fallback, { min: 1 });
  return r.done({
    ...common,
    listenHost,
    listenPort,
    publicUrl,
    corsOrigins: readCorsOrigins(r, publicUrl),
    authAddr: readAddr(r, 'TEAMHUB_AUTH_ADDR', '127.0.0.1:50151'),
    sessionAddr: readAddr(r, 'TEAMHUB_SESSION_ADDR', '127.0.0.1:50152'),
    machineAddr: readAddr(r, 'TEAMHUB_MACHINE_ADDR', '127.0.0.1:50153'),
    notifyAddr: readAddr(r, 'TEAMHUB_NOTIFY_ADDR', '127.0.0.1:50154'),
    storeKind: r.oneOf('TEAMHUB_STORE', ['sqlite', 'mongo'] as const, 'sqlite'),
    dataDir: path.resolve(r.str('TEAMHUB_DATA_DIR', '.teamhub')),
    maxBodyBytes: r.int('TEAMHUB_MAX_BODY_BYTES', 8 * 1024 * 1024, { min: 1024 }),
    maxJsonDepth: r.int('TEAMHUB_MAX_JSON_DEPTH', DEFAULT_MAX_JSON_DEPTH, { min: 8, max: 1000 }),
    sessionTimeoutMs: ms('TEAMHUB_SESSION_TIMEOUT_MS', 30_000),
    machineTimeoutMs: ms('TEAMHUB_MACHINE_TIMEOUT_MS', 45_000),
    sweepIntervalMs: ms('TEAMHUB_SWEEP_INTERVAL_MS', 5_000),
    rpcTimeoutMs: ms('TEAMHUB_RPC_TIMEOUT_MS', 30_000),
    sessionTransitionWaitMs: ms('TEAMHUB_SESSION_TRANSITION_WAIT_MS', 15_000),
    replicaLeaseMs: ms('TEAMHUB_REPLICA_LEASE_MS', 10_000),
    sseHeartbeatMs: ms('TEAMHUB_SSE_HEARTBEAT_MS', 30_000),
    terminalMaxTerminals: r.int('HAPI_TERMINAL_MAX_TERMINALS', 4, { min: 1, max: 64 }),
    terminalIdleTimeoutMs: ms('HAPI_TERMINAL_IDLE_TIMEOUT_MS', 15 * 60_000),
    webDir: path.resolve(r.str('TEAMHUB_WEB_DIR', 'web/dist')),
    trustedProxies: readTrustedProxies(r),
    liveMaxBufferedBytes: r.int('TEAMHUB_LIVE_MAX_BUFFERED_BYTES', 4 * 1024 * 1024, { min: 64 * 1024 }),
    limits: {
      socketsPerCredential: r.int('TEAMHUB_MAX_SOCKETS_PER_CREDENTIAL', 256, { min: 1 }),
      socketsPerNamespace: r.int('TEAMHUB_MAX_SOCKETS_PER_NAMESPACE', 512, { min: 1 }),
      sseStreamsPerCredential: r.int('TEAMHUB_MAX_SSE_PER_CREDENTIAL', 64, { min: 1 }),
      sseStreamsPerNamespace: r.int('TEAMHUB_MAX_SSE_PER_NAMESPACE', 128, { min: 1 }),
      rpcMethodsPerSocket: r.int('TEAMHUB_MAX_RPC_METHODS_PER_SOCKET', 256, { min: 1 }),
    },
    content: readContentLimits(r),
    preAuthBodyBytes: r.int('TEAMHUB_PREAUTH_BODY_BYTES', 64 * 1024, { min: 1024 }),
    socketAuthTimeoutMs: ms('TEAMHUB_SOCKET_AUTH_TIMEOUT_MS', 10_000),
    tokenCacheMs: r.int('TEAMHUB_TOKEN_CACHE_MS', 5000, { min: 0, max: 5000 }),
    requestLogLevel: r.oneOf('TEAMHUB_REQUEST_LOG_LEVEL', ['info', 'debug', 'trace'] as const, 'debug'),
  });
}
