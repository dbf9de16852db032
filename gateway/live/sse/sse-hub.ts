import { randomUUID } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import { EntityEvent } from '../../../lib/gen/teamhub/events/v1/events.js';
import type { Logger } from '../../../lib/logger.js';
import type { Namespace } from '../../../lib/namespace.js';
import { checkedPayload } from '../../../lib/nats/connection.js';
import { namespaceWildcard } from '../../../lib/nats/subjects.js';
import type { EventFeed, FeedEvent } from './event-feed.js';
import type { EventIdCodec } from './event-id.js';
import { planResume } from './replay.js';

export type SseFilter = { kind: 'all' } | { kind: 'session'; id: string } | { kind: 'machine'; id: string };

export interface SseOpenOptions {
  namespace: Namespace;
  filter: SseFilter;
  lastEventId: string | undefined;
  visibility: 'visible' | 'hidden';
}

interface Subscription {
  namespace: Namespace;
  visibility: 'visible' | 'hidden';
}

function matches(filter: SseFilter, ev: EntityEvent): boolean {
  if (filter.kind === 'all') return true;
  if (filter.kind === 'session') return ev.sessionId === filter.id;
  return ev.entity === 'machine' && ev.entityId === filter.id;
}

/**
 * SSE `/api/events` connections of this replica (reference §3.4; transcript H): first frame
 * `connection-changed`, then replayed events (resume), then live ones, each `data:` then `id:`;
 * heartbeats without id. Every event is checked to be of the connection's namespace.
 */
export class SseHub {
  private readonly subs = new Map<string, Subscription>();

  constructor(
    private readonly feed: EventFeed,
    private readonly codec: EventIdCodec,
    private readonly heartbeatMs: number,
    private readonly log: Logger,
  ) {}

  setVisibility(ns: Namespace, subscriptionId: string, visibility: 'visible' | 'hidden'): void {
    const sub = this.subs.get(subscriptionId);
    if (sub && sub.namespace === ns) sub.visibility = visibility;
  }

  async open(reply: FastifyReply, opts: SseOpenOptions): Promise<void> {
    const { namespace: ns, filter } = opts;
    const buffered: FeedEvent[] = [];
    let live: ((ev: FeedEvent) => void) | null = null;
    const remove = this.feed.add((ev) => (live ? live(ev) : buffered.push(ev)));
    let plan;
    try {
      const from = opts.lastEventId === undefined ? null : this.codec.decode(ns, opts.lastEventId);
      plan = await planResume(this.feed.jsm, ns, from, await this.feed.bounds());
    } catch (err) {
      remove();
      throw err;
    }
    const subscriptionId = randomUUID();
    this.subs.set(subscriptionId, { namespace: ns, visibility: opts.visibility });
    const raw = reply.raw;
    const headers: Record<string, string | number | string[]> = {};
    for (const [k, v] of Object.entries(reply.getHeaders())) if (v !== undefined) headers[k] = v as string | number | string[];
    raw.writeHead(200, { ...headers, 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive', Vary: 'Origin' });
    const write = (json: unknown, id?: string) => raw.write(`data: ${JSON.stringify(json)}\n${id === undefined ? '' : `id: ${id}\n`}\n`);
    write({ type: 'connection-changed', data: { status: 'connected', subscriptionId, resume: plan.resume } });

    let after = plan.after;
    const prefix = namespaceWildcard(ns).slice(0, -1);
    const send = (ev: FeedEvent) => {
      if (ev.seq <= after) return;
      after = ev.seq;
      if (!ev.subject.startsWith(prefix)) return;
      const decoded = checkedPayload(ev.subject, ev.data, (b) => EntityEvent.decode(b), ns, this.log);
      if (!decoded || !matches(filter, decoded)) return;
      let syncEvent: unknown;
      try {
        syncEvent = JSON.parse(decoded.syncEventJson);
      } catch {
        return;
      }
      if (typeof syncEvent !== 'object' || syncEvent === null) return;
      write({ ...syncEvent, namespace: ns }, this.codec.encode(ns, ev.seq));
    };
    if (plan.resume === 'ok') {
      after = 0;
      for (const ev of plan.events) send(ev);
      after = Math.max(after, plan.after);
    }
    for (const ev of buffered) send(ev);
    buffered.length = 0;
    live = send;

    const heartbeat = setInterval(() => write({ type: 'heartbeat', namespace: ns, data: { timestamp: Date.now() } }), this.heartbeatMs);
    const close = () => {
      clearInterval(heartbeat);
      remove();
      this.subs.delete(subscriptionId);
    };
    raw.on('close', close);
    raw.on('error', close);
  }
}
