import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '../../../lib/logger.js';

export const LEASES_BUCKET = 'teamhub_leases';
export const POLLER_KEY = 'telegram-poller';

/**
 * Opens the TTL'd leases bucket, creating it when missing with `replicas` copies in a NATS
 * cluster (an existing bucket keeps its TTL and replicas).
 */
export async function openLeasesBucket(nc: NatsConnection, ttlMs: number, replicas = 1): Promise<KV> {
  const kvm = new Kvm(nc);
  try {
    return await kvm.create(LEASES_BUCKET, { ttl: ttlMs, history: 1, replicas });
  } catch {
    return kvm.open(LEASES_BUCKET);
  }
}

/**
 * A lease in NATS KV: `create()` acquires it only when nobody holds it; the holder renews it
 * with a compare-and-set on its revision every third of the TTL; the bucket's TTL removes it
 * when the holder dies, and `release()` deletes it on a clean shutdown. The holder also gives
 * the lease up on its own when it has not managed to renew for most of the TTL, so it never
 * believes it holds a lease that may already have expired.
 */
export class KvLease {
  private revision: number | null = null;
  private lastRenewedAt = 0;
  private pending: Promise<boolean> | null = null;

  constructor(
    private readonly kv: KV,
    private readonly key: string,
    readonly owner: string,
    private readonly ttlMs: number,
    private readonly log: Logger,
  ) {}

  get held(): boolean {
    return this.revision !== null && Date.now() - this.lastRenewedAt < this.ttlMs * 0.6;
  }

  private value(): string {
    return JSON.stringify({ owner: this.owner, at: Date.now() });
  }

  /** True from acquisition until the lease is lost or released (renewal due). */
  get holding(): boolean {
    return this.revision !== null;
  }

  /** Acquires (when free) or renews (when held); returns whether this process holds it now. */
  tick(): Promise<boolean> {
    this.pending ??= this.tickOnce().finally(() => {
      this.pending = null;
    });
    return this.pending;
  }

  private async tickOnce(): Promise<boolean> {
    const acquiring = this.revision === null;
    try {
      this.revision = acquiring ? await this.kv.create(this.key, this.value()) : await this.kv.update(this.key, this.value(), this.revision!);
      this.lastRenewedAt = Date.now();
      if (acquiring) this.log.info({ key: this.key, owner: this.owner }, 'lease acquired');
      return true;
    } catch (err) {
      if (acquiring) return false;
      const message = (err as { message?: string }).message ?? '';
      if (/wrong last sequence/i.test(message) || !this.held) {
        this.log.warn({ key: this.key, err }, 'lease lost');
        this.revision = null;
        return false;
      }
      return this.held;
    }
  }

  async release(): Promise<void> {
    const rev = this.revision;
    this.revision = null;
    if (rev === null) return;
    await this.kv.delete(this.key, { previousSeq: rev }).catch(() => undefined);
  }
}
