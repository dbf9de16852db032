import { randomUUID } from 'node:crypto';
import { AppError } from '../../../lib/errors.js';
import type { FastifyReply } from 'fastify';
import type { EntityEvent } from '../../../lib/gen/teamhub/events/v1/events.js';
import { machineIdOf, sessionIdOf } from '../../../lib/events/entity-event.js';
import type { EventStreams } from '../../../lib/events/stream.js';
import type { Logger } from '../../../lib/logger.js';
import type { Namespace } from '../../../lib/namespace.js';
import type { LiveEvent } from '../live-event.js';
import type { NamespaceFeeds } from '../namespace-feeds.js';
import type { ConnectionRegistry, LiveCredential } from '../connections.js';
import type { EventIdCodec } from './event-id.js';
import { planResume } from './replay.js';
import { countDelivered } from '../../../lib/metrics/events.js';
import { SseWriter } from './sse-writer.js';

export type SseFilter = { kind: 'all' } | { kind: 'session'; id: string } | { kind: 'machine'; id: string };

export interface SseOpenOptions {
  namespace: Namespace;
  /** The web JWT the stream was opened with: a revocation or its expiry closes the stream. */
  credential: LiveCredential;
  filter: SseFilter;
  lastEventId: string | undefined;
  visibility: 'visible' | 'hidden';
}

export interface SseHubOptions {
  feeds: NamespaceFeeds;
  streams: EventStreams;
  codec: EventIdCodec;
  heartbeatMs: number;
  /** A stream with more than this still unsent is dropped (TEAMHUB_LIVE_MAX_BUFFERED_BYTES). */
  maxBufferedBytes: number;
  /** How long a new stream waits for its namespace's feed before answering 503. */
  feedWaitMs?: number;
  log: Logger;
  /** Every live connection of this replica: limits and revocation (connections.ts). */
  connections: ConnectionRegistry;
}

interface Subscription {
  namespace: Namespace;
  /** Writes one frame without an event id (toasts are not replayable). */
  writeUnnumbered(json: unknown): void;
}

/**
 * Where this replica's streams are entered with their page's visibility (the shared registry
 * `stream-registry.ts`), so any replica can change it and the notify service can find them.
 */
export interface StreamDirectory {
  opened(ns: Namespace, id: string, visible: boolean): Promise<void>;
  closed(ns: Namespace, id: string): Promise<void>;
}

function matches(filter: SseFilter, ev: EntityEvent): boolean {
  if (filter.kind === 'all') return true;
  if (filter.kind === 'session') return sessionIdOf(ev) === filter.id;
  return machineIdOf(ev) === filter.id;
}

const frame = (json: unknown, id?: string) => `data: ${JSON.stringify(json)}\n${id === undefined ? '' : `id: ${id}\n`}\n`;

/**
 * SSE `/api/events` connections of this replica, as HAPI streams them: first frame
 * `connection-changed`, then replayed events (resume), then live ones, each `data:` then `id:`;
 * heartbeats without id. A connection reads its namespace's feed only, and a live event's frame
 * (its HAPI JSON with the namespace stamp, and its sealed id) is built once on this replica and
 * the same text written to every connection it goes to. A connection that stops reading is
 * dropped at `maxBufferedBytes` (it resumes with its `Last-Event-ID`).
 */
export class SseHub {
  private readonly subs = new Map<string, Subscription>();
  /** Each live event's frame, built once for every connection of this replica (null: not for SSE). */
  private readonly frames = new WeakMap<LiveEvent, string | null>();

  private directory: StreamDirectory | null = null;

  constructor(private readonly o: SseHubOptions) {}

  /** Enters every stream opened from now on in `directory` (and removes it on close). */
  useDirectory(directory: StreamDirectory): void {
    this.directory = directory;
  }

  /** Writes `frame` to the streams of `ns` named in `ids` that this replica holds; how many. */
  sendToStreams(ns: Namespace, ids: string[], frame: Record<string, unknown>): number {
    let n = 0;
    for (const id of new Set(ids)) {
      const sub = this.subs.get(id);
      if (!sub || sub.namespace !== ns) continue;
      sub.writeUnnumbered(frame);
      n += 1;
    }
    return n;
  }

  /** Open connections (tests and logs). */
  get connections(): number {
    return this.subs.size;
  }

  private frameOf(ev: LiveEvent): string | null {
    let out = this.frames.get(ev);
    if (out === undefined) {
      try {
        const sync = ev.rendered.syncEvent;
        out = sync ? frame({ ...sync, namespace: ev.namespace }, this.o.codec.encode(ev.namespace, ev.position)) : null;
      } catch (err) {
        this.o.log.warn({ err, reqId: ev.event.requestId }, 'event not renderable for SSE; dropped');
        out = null;
      }
      this.frames.set(ev, out);
    }
    return out;
  }

  /**
   * Opens a stream on the hijacked reply. Throws AppError('resource_exhausted') before writing
   * anything when the credential or the namespace already holds its limit of streams here.
   */
  async open(reply: FastifyReply, opts: SseOpenOptions): Promise<void> {
    const { namespace: ns, filter } = opts;
    // Registered first: the limit is checked before any work, and a revocation that lands while
    // the stream opens already ends it (stop() runs once the stream exists).
    let stop: (() => void) | null = null;
    let stopped = false;
    const registration = this.o.connections.add('sse', opts.credential, () => {
      stopped = true;
      stop?.();
    });
    const buffered: LiveEvent[] = [];
    let live: ((ev: LiveEvent) => void) | null = null;
    const feed = this.o.feeds.subscribe(ns, (ev) => (live ? live(ev) : buffered.push(ev)));
    let plan;
    try {
      await feed.ready(this.o.feedWaitMs ?? 5_000);
      const from = opts.lastEventId === undefined ? null : this.o.codec.decode(ns, opts.lastEventId);
      plan = await planResume(this.o.streams, ns, from, { epoch: feed.epoch, position: feed.position }, this.o.log);
    } catch (err) {
      feed.release();
      registration.remove();
      throw err;
    }
    if (stopped) {
      feed.release();
      throw new AppError('unauthenticated', 'Invalid token');
    }
    // The client left while the replay was planned: its close already happened, so nothing
    // would ever release what this stream holds.
    if (reply.raw.destroyed) {
      feed.release();
      registration.remove();
      return;
    }
    const subscriptionId = randomUUID();
    const raw = reply.raw;
    const headers: Record<string, string | number | string[]> = {};
    for (const [k, v] of Object.entries(reply.getHeaders())) if (v !== undefined) headers[k] = v as string | number | string[];
    raw.writeHead(200, { ...headers, 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive', Vary: 'Origin' });
    const out = new SseWriter(raw, this.o.maxBufferedBytes, (bytes) => this.o.log.warn({ ns, subscriptionId, bufferedBytes: bytes }, 'sse reader too slow; disconnected'));
    this.subs.set(subscriptionId, { namespace: ns, writeUnnumbered: (json) => out.write(frame(json)) });
    try {
      await this.directory?.opened(ns, subscriptionId, opts.visibility === 'visible');
    } catch (err) {
      // Without its entry the stream still works; it only cannot get toasts or visibility changes.
      this.o.log.warn({ err }, 'sse stream not entered in the registry');
    }
    // The client may have left while the entry was written; its close listener is not set yet.
    if (raw.destroyed) {
      feed.release();
      registration.remove();
      this.subs.delete(subscriptionId);
      void this.directory?.closed(ns, subscriptionId);
      return;
    }
    out.write(frame({ type: 'connection-changed', data: { status: 'connected', subscriptionId, resume: plan.resume } }));

    let after = plan.after;
    const send = (ev: LiveEvent) => {
      if (ev.position.seq <= after) return;
      after = ev.position.seq;
      if (!matches(filter, ev.event)) return;
      const f = this.frameOf(ev);
      if (f === null) return;
      out.write(f);
      countDelivered('sse', ev.event.at);
    };
    if (plan.resume === 'ok') {
      const resumeAt = after;
      after = 0;
      for (const ev of plan.events) send(ev);
      after = Math.max(after, resumeAt);
    }
    for (const ev of buffered) send(ev);
    buffered.length = 0;
    live = send;

    const heartbeat = setInterval(() => out.write(frame({ type: 'heartbeat', namespace: ns, data: { timestamp: Date.now() } })), this.o.heartbeatMs);
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      clearInterval(heartbeat);
      feed.release();
      registration.remove();
      if (!this.subs.delete(subscriptionId)) return;
      void this.directory?.closed(ns, subscriptionId);
    };
    raw.on('close', close);
    raw.on('error', close);
    // Revoked or expired: nothing more is written, and the client's reconnect meets a 401.
    stop = () => {
      close();
      raw.end();
    };
    if (stopped) stop();
    // The client may have gone while the stream was being entered in the registry.
    else if (raw.destroyed) close();
  }
}
