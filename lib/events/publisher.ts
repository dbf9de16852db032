import type { JetStreamClient } from '@nats-io/jetstream';
import { EntityEvent } from '../gen/teamhub/events/v1/events.js';
import type { Namespace } from '../namespace.js';
import { entitySubject, type Entity } from '../nats/subjects.js';

export interface EntityEventInput {
  entity: Extract<Entity, 'session' | 'machine' | 'message'>;
  entityId: string;
  /** HAPI event type, e.g. "session-updated"; also the last subject token. */
  type: string;
  /** The HAPI SyncEvent as the web sees it, without the namespace stamp. */
  syncEvent: Record<string, unknown>;
  /** The body of a HAPI `update` for CLI sockets in the entity's room, when there is one. */
  socketUpdate?: Record<string, unknown>;
  sessionId?: string;
  origin?: string;
}

/**
 * Publishes one entity event to JetStream on `teamhub.<ns>.<entity>.<id>.<type>` and waits for
 * the stream's ack, so an event a client can be told about is also replayable.
 */
export class EventPublisher {
  constructor(private readonly js: JetStreamClient) {}

  async publish(ns: Namespace, input: EntityEventInput): Promise<void> {
    const msg = EntityEvent.fromPartial({
      namespace: ns,
      entity: input.entity,
      entityId: input.entityId,
      type: input.type,
      at: Date.now(),
      syncEventJson: JSON.stringify(input.syncEvent),
      socketUpdateJson: input.socketUpdate === undefined ? undefined : JSON.stringify(input.socketUpdate),
      sessionId: input.sessionId,
      origin: input.origin,
    });
    await this.js.publish(entitySubject(ns, input.entity, input.entityId, input.type), EntityEvent.encode(msg).finish());
  }
}

/** The narrow interface domains depend on, so unit tests can record events with a fake. */
export interface EventSink {
  publish(ns: Namespace, input: EntityEventInput): Promise<void>;
}
