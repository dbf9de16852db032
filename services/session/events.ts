import type { CallContext } from '../../lib/context.js';
import type { EventChange } from '../../lib/events/entity-event.js';
import type { EventSink } from '../../lib/events/publisher.js';
import { SessionDoc } from '../../lib/gen/teamhub/events/v1/events.js';
import { toProtoDeliveryState, toProtoMessage, toProtoSession } from './proto-map.js';
import type { DeliveryState, MessageRecord, SessionRecord, VersionedDoc } from './store.js';

const DOC: Record<VersionedDoc, SessionDoc> = { metadata: SessionDoc.SESSION_DOC_METADATA, agentState: SessionDoc.SESSION_DOC_AGENT_STATE };

/**
 * The session service's events, typed (`teamhub.events.v1`), published after each durable write
 * under the caller's namespace with its request id. A failed publish is logged and swallowed:
 * the write already happened and clients resync from the store.
 */
export class SessionEvents {
  constructor(private readonly sink: EventSink) {}

  private async emit(ctx: CallContext, change: EventChange, origin?: string): Promise<void> {
    try {
      await this.sink.publish(ctx.namespace, change, { requestId: ctx.requestId, origin });
    } catch (err) {
      ctx.log.warn({ err, change: change.$case }, 'event publish failed after a durable write');
    }
  }

  /** The whole session after a write; `changed` names the versioned document a CAS wrote. */
  sessionUpserted(ctx: CallContext, s: SessionRecord, opts: { created?: boolean; changed?: VersionedDoc; origin?: string } = {}): Promise<void> {
    const changedDocs = opts.changed === undefined ? [] : [DOC[opts.changed]];
    return this.emit(ctx, { $case: 'sessionUpserted', sessionUpserted: { session: toProtoSession(s), created: opts.created ?? false, changedDocs } }, opts.origin);
  }

  sessionRemoved(ctx: CallContext, sessionId: string): Promise<void> {
    return this.emit(ctx, { $case: 'sessionRemoved', sessionRemoved: { sessionId } });
  }

  /** HAPI's `session-end` reason is optional; an absent one stays absent. */
  sessionEnded(ctx: CallContext, sessionId: string, reason: string | undefined): Promise<void> {
    return this.emit(ctx, { $case: 'sessionEnded', sessionEnded: { sessionId, reason } });
  }

  messageAppended(ctx: CallContext, m: MessageRecord, origin?: string): Promise<void> {
    return this.emit(ctx, { $case: 'messageAppended', messageAppended: { message: toProtoMessage(m) } }, origin);
  }

  messagesConsumed(ctx: CallContext, sessionId: string, localIds: string[], invokedAt: number, steered = false): Promise<void> {
    return this.emit(ctx, { $case: 'messagesConsumed', messagesConsumed: { sessionId, localIds, invokedAt, steered: steered || undefined } });
  }

  messageCancelled(ctx: CallContext, m: MessageRecord): Promise<void> {
    return this.emit(ctx, { $case: 'messageCancelled', messageCancelled: { sessionId: m.sessionId, messageId: m.id, localId: m.localId ?? undefined } });
  }

  messagesDeliveryChanged(ctx: CallContext, sessionId: string, localIds: string[], state: DeliveryState): Promise<void> {
    return this.emit(ctx, { $case: 'messagesDeliveryChanged', messagesDeliveryChanged: { sessionId, localIds, state: toProtoDeliveryState(state) } });
  }

  queuedMessageSynced(ctx: CallContext, m: MessageRecord): Promise<void> {
    return this.emit(ctx, { $case: 'queuedMessageSynced', queuedMessageSynced: { message: toProtoMessage(m) } });
  }

  /**
   * A scheduled message is due. Unlike the others this one reports failure instead of swallowing
   * it: the scheduler keeps its claim and tries again, since nothing else would ever deliver it.
   */
  async scheduledMessageMatured(ctx: CallContext, m: MessageRecord): Promise<boolean> {
    try {
      // One id per message: a delivery repeated after a crash between storing this event and
      // releasing the claim is stored and published once (lib/events/publisher.ts `eventId`).
      await this.sink.publish(ctx.namespace, { $case: 'scheduledMessageMatured', scheduledMessageMatured: { message: toProtoMessage(m) } }, { requestId: ctx.requestId, eventId: `scheduled-matured:${m.id}` });
      return true;
    } catch (err) {
      ctx.log.warn({ err, messageId: m.id }, 'scheduled message not published; retried after the claim');
      return false;
    }
  }

  /** Stored history was removed or replaced; clients reload it. */
  messagesInvalidated(ctx: CallContext, sessionId: string, reason: string, truncateFromLocalId?: string): Promise<void> {
    return this.emit(ctx, { $case: 'messagesInvalidated', messagesInvalidated: { sessionId, reason, truncateFromLocalId } });
  }
}
