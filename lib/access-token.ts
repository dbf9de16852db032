import { timingSafeEqual, createHash } from 'node:crypto';
import { DEFAULT_NAMESPACE } from './namespace.js';

/** A client token split per HAPI's grammar: `base[:namespace]`, the namespace being the last `:` suffix. */
export interface ParsedAccessToken {
  baseToken: string;
  /** Raw namespace text; still to be checked with `parseNamespace`. */
  namespace: string;
}

/**
 * Trim; split on the last `:`; no colon means namespace `default`; with a colon both sides must
 * be non-empty without whitespace at their ends. Returns null when the token is malformed.
 */
export function parseAccessToken(raw: unknown): ParsedAccessToken | null {
  if (typeof raw !== 'string') return null;
  const token = raw.trim();
  if (token.length === 0) return null;
  const colon = token.lastIndexOf(':');
  if (colon === -1) return { baseToken: token, namespace: DEFAULT_NAMESPACE };
  const baseToken = token.slice(0, colon);
  const namespace = token.slice(colon + 1);
  if (baseToken.length === 0 || namespace.length === 0) return null;
  if (baseToken.trim() !== baseToken || namespace.trim() !== namespace) return null;
  return { baseToken, namespace };
}

/** Constant-time string comparison (hashing first so lengths never leak). */
export function constantTimeEquals(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a, 'utf8').digest();
  const hb = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(ha, hb);
}
