import type { JwtRevocations } from '../../lib/auth/jwt.js';

/**
 * The gateway's copy of the web-JWT revocation list: revoked jti values (until they expire) and
 * per-namespace cut-offs. Revocations only ever add, so merging a fresh snapshot from the auth
 * service with events that arrived meanwhile is a union (never a replace that could lose one).
 */
export class RevocationCache implements JwtRevocations {
  private readonly jtis = new Map<string, number>();
  private readonly cutoffs = new Map<string, number>();

  constructor(private readonly nowSec: () => number = () => Math.floor(Date.now() / 1000)) {}

  revokeJti(jti: string, expiresAt: number): void {
    const prev = this.jtis.get(jti) ?? 0;
    this.jtis.set(jti, Math.max(prev, expiresAt));
  }

  revokeBefore(ns: string, cutoffMs: number): void {
    this.cutoffs.set(ns, Math.max(this.cutoffs.get(ns) ?? 0, cutoffMs));
  }

  isRevoked(jti: string): boolean {
    const exp = this.jtis.get(jti);
    return exp !== undefined;
  }

  revokedBefore(ns: string): number | undefined {
    return this.cutoffs.get(ns);
  }

  /** Drops jti entries whose tokens have expired anyway. */
  prune(): void {
    const now = this.nowSec();
    for (const [jti, exp] of this.jtis) if (exp > 0 && exp < now) this.jtis.delete(jti);
  }

  get size(): number {
    return this.jtis.size;
  }
}
