import type { EntityEvent } from '../gen/teamhub/events/v1/events.js';
import type { Entity, EventKind } from '../nats/subjects.js';

/** What changed: one case of `EntityEvent.change`. */
export type EventChange = NonNullable<EntityEvent['change']>;

/** Where an event is published: the entity, its id and the kind (the last subject tokens). */
export interface EventAddress {
  entity: Extract<Entity, 'session' | 'machine' | 'message'>;
  /** The session id for session and message events, the machine id for machine events. */
  id: string;
  kind: EventKind;
}

/** The one table from a change to its subject tokens; publishers and subscribers both use it. */
export function addressOf(change: EventChange): EventAddress {
  switch (change.$case) {
    case 'sessionUpserted':
      return { entity: 'session', id: change.sessionUpserted.session?.id ?? '', kind: 'upserted' };
    case 'sessionRemoved':
      return { entity: 'session', id: change.sessionRemoved.sessionId, kind: 'removed' };
    case 'sessionEnded':
      return { entity: 'session', id: change.sessionEnded.sessionId, kind: 'ended' };
    case 'messageAppended':
      return { entity: 'message', id: change.messageAppended.message?.sessionId ?? '', kind: 'appended' };
    case 'messagesConsumed':
      return { entity: 'message', id: change.messagesConsumed.sessionId, kind: 'consumed' };
    case 'messageCancelled':
      return { entity: 'message', id: change.messageCancelled.sessionId, kind: 'cancelled' };
    case 'messagesDeliveryChanged':
      return { entity: 'message', id: change.messagesDeliveryChanged.sessionId, kind: 'delivery' };
    case 'scheduledMessageMatured':
      return { entity: 'message', id: change.scheduledMessageMatured.message?.sessionId ?? '', kind: 'matured' };
    case 'queuedMessageSynced':
      return { entity: 'message', id: change.queuedMessageSynced.message?.sessionId ?? '', kind: 'synced' };
    case 'messagesInvalidated':
      return { entity: 'message', id: change.messagesInvalidated.sessionId, kind: 'invalidated' };
    case 'machineUpserted':
      return { entity: 'machine', id: change.machineUpserted.machine?.id ?? '', kind: 'upserted' };
    case 'machineRemoved':
      return { entity: 'machine', id: change.machineRemoved.machineId, kind: 'removed' };
    case 'scratchlistChanged':
      return { entity: 'session', id: change.scratchlistChanged.sessionId, kind: 'scratchlist-changed' };
    case 'machineAgyModelsChanged':
      return { entity: 'machine', id: change.machineAgyModelsChanged.machineId, kind: 'agy-models-changed' };
  }
}

/** The session an event belongs to (session and message events), or undefined. */
export function sessionIdOf(ev: EntityEvent): string | undefined {
  if (!ev.change) return undefined;
  const a = addressOf(ev.change);
  return a.entity === 'machine' ? undefined : a.id;
}

/** The machine an event belongs to (machine events), or undefined. */
export function machineIdOf(ev: EntityEvent): string | undefined {
  if (!ev.change) return undefined;
  const a = addressOf(ev.change);
  return a.entity === 'machine' ? a.id : undefined;
}
