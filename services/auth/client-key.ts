import ipaddr from 'ipaddr.js';

/**
 * The throttling key of a client address: an IPv4 address as it is, an IPv6 address by its /64
 * (one subscriber's network: a client rotating through the addresses of its /64 is one client),
 * an IPv4-mapped IPv6 address as its IPv4 address. Anything that is not an address (no address
 * known, a proxy's odd header) is its own key, trimmed and bounded.
 */
export function clientKey(addr: string): string {
  const raw = typeof addr === 'string' ? addr.trim() : '';
  if (raw === '') return 'unknown';
  if (!ipaddr.isValid(raw)) return raw.slice(0, 128);
  const ip = ipaddr.process(raw);
  if (ip.kind() === 'ipv4') return ip.toString();
  const parts = (ip as ipaddr.IPv6).parts.slice(0, 4).map((p) => p.toString(16));
  return `${parts.join(':')}::/64`;
}
