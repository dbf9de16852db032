import { randomUUID } from 'node:crypto';
import type { Context } from '@opentelemetry/api';
import type { JetStreamClient } from '@nats-io/jetstream';
import { EntityEvent } from '../gen/teamhub/events/v1/events.js';
import type { Namespace } from '../namespace.js';
import { entitySubject } from '../nats/subjects.js';
import { addressOf, type EventChange } from './entity-event.js';
import type { EventStreams } from './stream.js';
import { countPublished } from '../metrics/events.js';
import { tracePublish } from '../tracing/nats.js';

/** Who caused a change: the request (for logs across processes) and the socket (not echoed). */
export interface EventMeta {
  requestId: string;
  origin?: string;
  /**
   * The event's id when the caller fixes it, for an event that may be produced again for the same
   * change (a scheduled delivery retried after a crash): stored and published once under it
   * (a Mongo outbox keeps one entry per id; JetStream drops a repeat within its duplicate window).
   * Otherwise a fresh id.
   */
  eventId?: string;
}

/** The narrow interface domains depend on, so unit tests can record events with a fake. */
export interface EventSink {
  publish(ns: Namespace, change: EventChange, meta: EventMeta): Promise<void>;
}

/** One event as it goes on the bus: its subject, its payload and the id JetStream dedups it by. */
export interface EncodedEvent {
  namespace: Namespace;
  subject: string;
  data: Uint8Array;
  /** Sent as `Nats-Msg-Id`: a publish retried with it is stored once (within the duplicate window). */
  msgId: string;
  /** The request that caused it (its answer waits for it), not stored. */
  requestId?: string;
  /**
   * The trace context of the call that wrote it (tracing on), not stored: an entry published by
   * this process after its call gets a publish span in that call's trace; one left by an earlier
   * run (read back from the store) gets a trace of its own.
   */
  traceContext?: Context;
}

/** `teamhub.<ns>.<entity>.<id>.<kind>`: the entity and kind words (metric labels, span names). */
export function subjectWords(subject: string): { entity: string; kind: string } {
  const t = subject.split('.');
  return { entity: t[2] ?? 'unknown', kind: t[4] ?? 'unknown' };
}

/** `teamhub.<ns>.<entity>.<id>.<kind>` and the proto payload of one change, stamped `at`. */
export function encodeEntityEvent(ns: Namespace, change: EventChange, meta: EventMeta, at: number): EncodedEvent {
  const { entity, id, kind } = addressOf(change);
  const msg: EntityEvent = { namespace: ns, at, origin: meta.origin, requestId: meta.requestId, change };
  return { namespace: ns, subject: entitySubject(ns, entity, id, kind), data: EntityEvent.encode(msg).finish(), msgId: meta.eventId ?? randomUUID(), requestId: meta.requestId };
}

/**
 * Publishes one typed entity event straight to its namespace's stream and waits for the ack.
 * The services publish through the outbox instead (outbox.ts), which survives a bus outage;
 * this is for tests and tools that need no more.
 */
export class EventPublisher implements EventSink {
  constructor(
    private readonly js: JetStreamClient,
    private readonly streams: EventStreams,
    private readonly clock: () => number = Date.now,
  ) {}

  async publish(ns: Namespace, change: EventChange, meta: EventMeta): Promise<void> {
    const { entity, kind } = addressOf(change);
    const ev = encodeEntityEvent(ns, change, meta, this.clock());
    await this.streams.ensure(ns);
    try {
      await tracePublish(`${entity}.${kind}`, meta.requestId, (headers) => this.js.publish(ev.subject, ev.data, headers ? { msgID: ev.msgId, headers } : { msgID: ev.msgId }));
    } catch (err) {
      countPublished(entity, kind, false);
      throw err;
    }
    countPublished(entity, kind, true);
  }
}
