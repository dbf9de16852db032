import { createHash } from 'node:crypto';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Namespace } from '../../lib/namespace.js';
import type { OffsetStore } from './telegram/poller.js';

/**
 * The bucket of "already notified" marks and the Telegram getUpdates offset (named for the bot
 * that first kept it; the name stays so existing hubs keep their marks and offset).
 */
export const NOTIFY_STATE_BUCKET = 'teamhub_telegram';
/** Cool-down marks: a mark here exists for the bucket's TTL (the ready cool-down), then lapses. */
export const NOTIFY_COOLDOWN_BUCKET = 'teamhub_notify_cooldown';
/** Marks outlive any pending request worth notifying about; Telegram keeps updates for 24 h. */
const STATE_TTL_MS = 7 * 24 * 60 * 60 * 1000;
const OFFSET_KEY = 'offset';

/** A KV key for (kind, namespace, ids): hashed, so any namespace or id is a valid key. */
function markKey(kind: string, ns: Namespace, ...ids: string[]): string {
  const h = createHash('sha256');
  for (const part of [ns, ...ids]) h.update(`${Buffer.byteLength(part)}:${part}`);
  return `${kind}.${h.digest('hex')}`;
}

async function openBucket(nc: NatsConnection, name: string, ttlMs: number, replicas: number): Promise<KV> {
  const kvm = new Kvm(nc);
  try {
    return await kvm.create(name, { ttl: ttlMs, history: 1, replicas });
  } catch {
    return kvm.open(name);
  }
}

async function createOnce(kv: KV, key: string): Promise<boolean> {
  try {
    await kv.create(key, String(Date.now()));
    return true;
  } catch (err) {
    if (/wrong last sequence|key exists/i.test((err as Error).message ?? '')) return false;
    throw err;
  }
}

/**
 * The notify service's shared state in NATS KV, which every replica sees: marks created with
 * `create()`, so only the first replica to see a notification sends it, and cool-down marks that
 * lapse with their bucket's TTL. (Subscriptions, devices and the work graph are in the store.)
 */
export class NotifyState implements OffsetStore {
  private constructor(
    private readonly kv: KV,
    private readonly cooldown: KV,
  ) {}

  /**
   * Opens both buckets, creating them when missing with `replicas` copies in a NATS cluster
   * (TEAMHUB_NATS_REPLICAS); an existing bucket keeps its TTL and replicas.
   */
  static async open(nc: NatsConnection, cooldownMs: number, replicas = 1): Promise<NotifyState> {
    return new NotifyState(await openBucket(nc, NOTIFY_STATE_BUCKET, STATE_TTL_MS, replicas), await openBucket(nc, NOTIFY_COOLDOWN_BUCKET, cooldownMs, replicas));
  }

  /** True exactly once per (kind, ns, ids) across every replica; false when already marked. */
  markOnce(kind: string, ns: Namespace, ...ids: string[]): Promise<boolean> {
    return createOnce(this.kv, markKey(kind, ns, ...ids));
  }

  /** True when no replica passed this (kind, ns, ids) within the cool-down; then starts it. */
  passCooldown(kind: string, ns: Namespace, ...ids: string[]): Promise<boolean> {
    return createOnce(this.cooldown, markKey(kind, ns, ...ids));
  }

  async load(): Promise<number | undefined> {
    const e = await this.kv.get(OFFSET_KEY);
    if (!e || e.operation !== 'PUT') return undefined;
    const n = Number(e.string());
    return Number.isSafeInteger(n) ? n : undefined;
  }

  async save(offset: number): Promise<void> {
    await this.kv.put(OFFSET_KEY, String(offset));
  }
}
