import { createHash } from 'node:crypto';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Namespace } from '../../../lib/namespace.js';
import type { OffsetStore } from './poller.js';

export const TELEGRAM_BUCKET = 'teamhub_telegram';
/** Marks outlive any pending request worth notifying about; Telegram keeps updates for 24 h. */
const STATE_TTL_MS = 7 * 24 * 60 * 60 * 1000;
const OFFSET_KEY = 'offset';

/** A KV key for (kind, namespace, ids): hashed, so any namespace or id is a valid key. */
function markKey(kind: string, ns: Namespace, ...ids: string[]): string {
  const h = createHash('sha256');
  for (const part of [ns, ...ids]) h.update(`${Buffer.byteLength(part)}:${part}`);
  return `${kind}.${h.digest('hex')}`;
}

/**
 * Shared state of the bot in NATS KV: "already notified" marks (created with `create()`, so only
 * the first replica to see a pending request sends it) and the getUpdates offset.
 */
export class TelegramState implements OffsetStore {
  private constructor(private readonly kv: KV) {}

  static async open(nc: NatsConnection): Promise<TelegramState> {
    const kvm = new Kvm(nc);
    try {
      return new TelegramState(await kvm.create(TELEGRAM_BUCKET, { ttl: STATE_TTL_MS, history: 1 }));
    } catch {
      return new TelegramState(await kvm.open(TELEGRAM_BUCKET));
    }
  }

  /** True exactly once per (kind, ns, ids) across every replica; false when already marked. */
  async markOnce(kind: string, ns: Namespace, ...ids: string[]): Promise<boolean> {
    try {
      await this.kv.create(markKey(kind, ns, ...ids), String(Date.now()));
      return true;
    } catch (err) {
      if (/wrong last sequence|key exists/i.test((err as Error).message ?? '')) return false;
      throw err;
    }
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
