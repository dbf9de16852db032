import type { KV } from '@nats-io/kv';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { ToastReply, ToastRequest } from '../../../lib/gen/teamhub/notify/v1/notify.js';
import type { Logger } from '../../../lib/logger.js';
import { isNamespace, type Namespace } from '../../../lib/namespace.js';
import { checkedPayload } from '../../../lib/nats/connection.js';
import { decodeStreamEntry, encodeStreamEntry, isSubscriptionId, openStreamRegistry, streamKey } from '../../../lib/nats/sse-stream-registry.js';
import { replicaToastWildcard } from '../../../lib/nats/subjects.js';

/** Writes a toast to the streams of `ns` named in `ids` that this replica holds; how many it wrote. */
export type ToastDelivery = (ns: Namespace, ids: string[], toast: ToastRequest) => number;

interface LocalStream {
  ns: Namespace;
  id: string;
  visible: boolean;
}

/**
 * This replica's side of the shared SSE stream registry (lib/nats/sse-stream-registry.ts): it
 * enters each stream it opens (with the page's visibility), keeps the entries alive within the
 * bucket's TTL, removes them when the stream closes, changes an entry's visibility for
 * `POST /api/visibility` whichever replica holds the stream, and answers the notify service's
 * toast requests for its own streams.
 */
export class SseStreamRegistry {
  private readonly local = new Map<string, LocalStream>();
  private timer: NodeJS.Timeout | undefined;
  private sub: Subscription | undefined;

  private constructor(
    private readonly kv: KV,
    private readonly replicaId: string,
    private readonly log: Logger,
  ) {}

  /** `opts.replicas`: copies of the bucket in a NATS cluster (TEAMHUB_NATS_REPLICAS). */
  static async start(nc: NatsConnection, replicaId: string, ttlMs: number, deliver: ToastDelivery, log: Logger, opts: { replicas?: number } = {}): Promise<SseStreamRegistry> {
    const registry = new SseStreamRegistry(await openStreamRegistry(nc, ttlMs, opts.replicas ?? 1), replicaId, log);
    registry.sub = nc.subscribe(replicaToastWildcard(replicaId), {
      callback: (err, msg) => {
        if (err) return;
        const req = checkedPayload(msg.subject, msg.data, (b) => ToastRequest.decode(b), null, log);
        let delivered = 0;
        if (req && isNamespace(req.namespace)) {
          try {
            delivered = deliver(req.namespace, req.subscriptionIds, req);
          } catch (e) {
            log.warn({ err: e }, 'toast delivery failed');
          }
        }
        msg.respond(ToastReply.encode({ delivered }).finish());
      },
    });
    registry.timer = setInterval(() => void registry.refresh(), Math.max(100, Math.floor(ttlMs / 3)));
    registry.timer.unref();
    return registry;
  }

  /** Enters a stream this replica just opened. */
  async opened(ns: Namespace, id: string, visible: boolean): Promise<void> {
    const key = streamKey(ns, id);
    this.local.set(key, { ns, id, visible });
    await this.kv.put(key, encodeStreamEntry({ replica: this.replicaId, visible }));
  }

  /** Removes a stream this replica held (it closed). */
  async closed(ns: Namespace, id: string): Promise<void> {
    const key = streamKey(ns, id);
    this.local.delete(key);
    await this.kv.delete(key).catch((err: unknown) => this.log.warn({ err }, 'sse stream entry not removed'));
  }

  /**
   * Sets the visibility of stream `id` of `ns`, on whichever replica it is open. False when `ns`
   * has no open stream with that id: another namespace's id is simply not found.
   */
  async setVisibility(ns: Namespace, id: string, visible: boolean): Promise<boolean> {
    if (!isSubscriptionId(id)) return false;
    const key = streamKey(ns, id);
    for (let attempt = 0; attempt < 5; attempt++) {
      const e = await this.kv.get(key);
      const entry = e && e.operation === 'PUT' ? decodeStreamEntry(e.string()) : null;
      if (!e || !entry) return false;
      try {
        await this.kv.update(key, encodeStreamEntry({ ...entry, visible }), e.revision);
        const mine = this.local.get(key);
        if (mine) mine.visible = visible;
        return true;
      } catch (err) {
        // Another writer (the holder's refresh, another visibility change) won the race: read again.
        if (!/wrong last sequence/i.test((err as Error).message ?? '')) throw err;
      }
    }
    return false;
  }

  /** Keeps this replica's entries within the bucket's TTL, adopting visibility changed elsewhere. */
  private async refresh(): Promise<void> {
    for (const [key, s] of [...this.local]) {
      try {
        const e = await this.kv.get(key);
        const entry = e && e.operation === 'PUT' ? decodeStreamEntry(e.string()) : null;
        if (!this.local.has(key)) continue;
        if (e && entry) {
          s.visible = entry.visible;
          await this.kv.update(key, encodeStreamEntry({ replica: this.replicaId, visible: entry.visible }), e.revision);
        } else {
          await this.kv.put(key, encodeStreamEntry({ replica: this.replicaId, visible: s.visible }));
        }
      } catch (err) {
        if (!/wrong last sequence/i.test((err as Error).message ?? '')) this.log.warn({ err }, 'sse stream entry not refreshed');
      }
    }
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.sub?.unsubscribe();
    await Promise.all([...this.local.values()].map((s) => this.closed(s.ns, s.id)));
  }
}
