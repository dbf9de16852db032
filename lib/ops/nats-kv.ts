import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { Kvm, type KvStatus } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';

/**
 * The KV buckets a restarted hub needs back, as they were: which replica made which session or
 * machine active (`teamhub_live`: after a restore the sweeper finds those replicas gone and marks
 * their entities inactive, instead of leaving them "active" for ever) and the Telegram bot's
 * state (`teamhub_telegram`: getUpdates offset and "already notified" marks, so nothing is sent
 * twice). Leases (`teamhub_replicas`, `teamhub_leases`) name processes of the old run and expire
 * by themselves: they are not kept. The events stream is a replay cache: a restored hub starts it
 * afresh and clients resync over REST (their old event ids answer `resume: gap`).
 */
export const KEPT_BUCKETS = ['teamhub_live', 'teamhub_telegram'] as const;

export interface BucketCopy {
  bucket: string;
  /** TTL in ms (0: none) and history depth, to make the bucket again the same way. */
  ttlMs: number;
  history: number;
  entries: { key: string; value: string }[];
}

/**
 * Reads every kept bucket that exists (values base64, so any bytes round-trip). It asks for each
 * bucket by name rather than listing the streams: the backup's NATS user may read these two
 * buckets and nothing else (scripts/nats-access.ts).
 */
export async function readKeptBuckets(nc: NatsConnection): Promise<BucketCopy[]> {
  const kvm = new Kvm(nc);
  const out: BucketCopy[] = [];
  for (const bucket of KEPT_BUCKETS) {
    const kv = await kvm.open(bucket);
    let status: KvStatus;
    try {
      status = await kv.status();
    } catch (err) {
      // A hub that never used it (no Telegram bot, say) has no such bucket: nothing to keep.
      if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound) continue;
      throw err;
    }
    const entries: BucketCopy['entries'] = [];
    for await (const key of await kv.keys()) {
      const e = await kv.get(key);
      if (e && e.operation === 'PUT') entries.push({ key, value: Buffer.from(e.value).toString('base64') });
    }
    out.push({ bucket, ttlMs: status.ttl, history: status.history, entries });
  }
  return out;
}

/** Makes each bucket (as it was configured) and puts its entries back. */
export async function writeBuckets(nc: NatsConnection, buckets: BucketCopy[]): Promise<number> {
  const kvm = new Kvm(nc);
  let n = 0;
  for (const b of buckets) {
    const kv = await kvm.create(b.bucket, { ttl: b.ttlMs, history: Math.max(1, b.history) });
    for (const e of b.entries) {
      await kv.put(e.key, Buffer.from(e.value, 'base64'));
      n += 1;
    }
  }
  return n;
}
