import type { IncomingMessage } from 'node:http';
import proxyAddr from '@fastify/proxy-addr';
import ipaddr from 'ipaddr.js';
import type { EnvReader } from '../../lib/config.js';

/** proxy-addr's names for address ranges (what Fastify's `trustProxy` accepts besides addresses and CIDRs). */
const RANGE_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

/**
 * What `TEAMHUB_TRUST_PROXY=true` means: a proxy on this machine or on a private network (a
 * compose network is one). Trusting every hop instead, as a bare `true` does in Fastify, would
 * let any client pick its address by sending X-Forwarded-For, and with it escape throttling.
 */
const PRIVATE_RANGES = RANGE_NAMES;

function isAddressOrCidr(entry: string): boolean {
  if (RANGE_NAMES.includes(entry)) return true;
  if (ipaddr.isValid(entry)) return true;
  try {
    ipaddr.parseCIDR(entry);
    return true;
  } catch {
    return false;
  }
}

/**
 * TEAMHUB_TRUST_PROXY: unset or false → no proxy (X-Forwarded-For is ignored); true → the
 * private ranges; else a comma-separated list of addresses, CIDRs and range names.
 */
export function readTrustedProxies(r: EnvReader): string[] {
  const raw = r.str('TEAMHUB_TRUST_PROXY')?.trim();
  if (raw === undefined || raw === '' || ['0', 'false', 'no', 'off'].includes(raw.toLowerCase())) return [];
  if (['1', 'true', 'yes', 'on'].includes(raw.toLowerCase())) return [...PRIVATE_RANGES];
  const entries = raw.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  for (const e of entries) {
    if (!isAddressOrCidr(e)) r.problem(`TEAMHUB_TRUST_PROXY entry ${JSON.stringify(e)} is not an address, a CIDR or one of ${RANGE_NAMES.join(', ')}`);
  }
  return entries;
}

/**
 * The client address of a raw request (the socket handshake's), exactly as Fastify computes
 * `request.ip` with the same list: walking X-Forwarded-For from the right, the first hop that is
 * not a trusted proxy.
 */
export class ClientAddressResolver {
  private readonly trust: (addr: string, i: number) => boolean;

  constructor(trustedProxies: readonly string[]) {
    this.trust = proxyAddr.compile([...trustedProxies]);
  }

  of(req: IncomingMessage): string {
    return proxyAddr(req, this.trust) ?? req.socket?.remoteAddress ?? 'unknown';
  }
}
