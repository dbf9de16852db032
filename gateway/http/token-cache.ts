import { createHash } from 'node:crypto';
import type { Namespace } from '../../lib/namespace.js';

/**
 * A short positive cache of access-token resolutions, keyed by the token's SHA-256 (the raw
 * token is never kept). Failures are never cached, so throttling still sees every bad try.
 */
export class TokenCache {
  private readonly entries = new Map<string, { ns: Namespace; until: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  static keyOf(token: string): string {
    return createHash('sha256').update(token, 'utf8').digest('base64url');
  }

  get(token: string): Namespace | undefined {
    const key = TokenCache.keyOf(token);
    const hit = this.entries.get(key);
    if (!hit) return undefined;
    if (hit.until <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return hit.ns;
  }

  set(token: string, ns: Namespace): void {
    if (this.ttlMs <= 0) return;
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    this.entries.set(TokenCache.keyOf(token), { ns, until: this.now() + this.ttlMs });
  }

  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
