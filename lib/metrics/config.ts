import { EnvReader, type Env } from '../config.js';

/** Where this process serves `/metrics`: an address of its own, or nowhere (the default). */
export interface MetricsConfig {
  /** `host:port` (port 0 picks a free one), or undefined when metrics are not served. */
  listen: string | undefined;
}

const ADDRESS = /^(\[[^\]]+\]|[^\s:[\]]+):(\d{1,5})$/;

/**
 * TEAMHUB_METRICS_LISTEN: `host:port` of this process's own metrics listener; unset, empty or
 * `off` serves none. It is a separate listener from any public port: whoever reaches it can
 * scrape, so keep it on loopback or a monitoring network (the series never name a namespace).
 */
export function loadMetricsConfig(env: Env): Readonly<MetricsConfig> {
  const r = new EnvReader(env);
  const raw = r.str('TEAMHUB_METRICS_LISTEN');
  let listen: string | undefined;
  if (raw !== undefined && raw.toLowerCase() !== 'off') {
    const m = ADDRESS.exec(raw.trim());
    if (!m || Number(m[2]) > 65535) r.problem(`TEAMHUB_METRICS_LISTEN must be host:port or off, got ${JSON.stringify(raw)}`);
    else listen = raw.trim();
  }
  return r.done({ listen });
}

/** Splits `host:port` (IPv6 in brackets) for net.Server.listen. */
export function splitHostPort(address: string): { host: string; port: number } {
  const m = ADDRESS.exec(address);
  if (!m) throw new Error(`not host:port: ${address}`);
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}
