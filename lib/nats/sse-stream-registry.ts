import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { subjectToken, type Namespace } from '../namespace.js';

/**
 * Which SSE streams (`GET /api/events`) are open on which gateway replica, and whether their page
 * is visible, shared through the NATS KV bucket `teamhub_sse_streams` so every process agrees:
 * `POST /api/visibility` may reach another replica than the one holding the stream, and the notify
 * service decides between a toast and a Web Push from it. One entry per stream, keyed
 * `<ns-token>.<subscription id>`, so a namespace can only name its own streams and the notifier
 * lists one namespace's streams with one key filter. The bucket's TTL removes the entries of a
 * replica that died; the holder refreshes its entries well within it.
 */
export const SSE_STREAMS_BUCKET = 'teamhub_sse_streams';

export interface StreamEntry {
  /** The gateway replica holding the stream (where a toast must be sent). */
  replica: string;
  visible: boolean;
}

/** A subscription id a stream can have: the gateway makes UUIDs; anything else names no stream. */
export function isSubscriptionId(id: string): boolean {
  return /^[A-Za-z0-9_-]{1,100}$/.test(id);
}

/** The entry key of one stream of `ns` (`id` must pass `isSubscriptionId`). */
export function streamKey(ns: Namespace, id: string): string {
  return `${subjectToken(ns)}.${id}`;
}

/** The key filter matching every stream of `ns`. */
export function namespaceStreamsFilter(ns: Namespace): string {
  return `${subjectToken(ns)}.*`;
}

/** The subscription id in a stream key. */
export function subscriptionIdOfKey(key: string): string {
  return key.slice(key.lastIndexOf('.') + 1);
}

export function encodeStreamEntry(e: StreamEntry): string {
  return JSON.stringify({ replica: e.replica, visible: e.visible });
}

/** The entry in a KV value, or null when it is not one (a foreign writer, a corrupt value). */
export function decodeStreamEntry(text: string): StreamEntry | null {
  try {
    const v = JSON.parse(text) as { replica?: unknown; visible?: unknown };
    return typeof v.replica === 'string' && typeof v.visible === 'boolean' ? { replica: v.replica, visible: v.visible } : null;
  } catch {
    return null;
  }
}

/**
 * Opens the bucket, creating it with `ttlMs` and `replicas` copies in a NATS cluster when missing
 * (an existing bucket keeps its TTL and replicas).
 */
export async function openStreamRegistry(nc: NatsConnection, ttlMs: number, replicas = 1): Promise<KV> {
  const kvm = new Kvm(nc);
  try {
    return await kvm.create(SSE_STREAMS_BUCKET, { ttl: ttlMs, history: 1, replicas });
  } catch {
    return kvm.open(SSE_STREAMS_BUCKET);
  }
}
