import path from 'node:path';
import { EnvReader, readCommon, type Env } from '../lib/config.js';
import { readSecretFile } from '../lib/service-main.js';
import type { GatewayConfig } from './deps.js';

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
    maxBodyBytes: r.int('TEAMHUB_MAX_BODY_BYTES', 8 * 1024 * 1024, { min: 1024 }),
    sessionTimeoutMs: ms('TEAMHUB_SESSION_TIMEOUT_MS', 30_000),
    machineTimeoutMs: ms('TEAMHUB_MACHINE_TIMEOUT_MS', 45_000),
    sweepIntervalMs: ms('TEAMHUB_SWEEP_INTERVAL_MS', 5_000),
    rpcTimeoutMs: ms('TEAMHUB_RPC_TIMEOUT_MS', 30_000),
    replicaLeaseMs: ms('TEAMHUB_REPLICA_LEASE_MS', 10_000),
    sseHeartbeatMs: ms('TEAMHUB_SSE_HEARTBEAT_MS', 30_000),
    webDir: path.resolve(r.str('TEAMHUB_WEB_DIR', 'web/dist')),
    trustProxy: r.bool('TEAMHUB_TRUST_PROXY', false),
  });
}
