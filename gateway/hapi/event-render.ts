/**
 * The one place a typed entity event becomes what HAPI clients read: the SSE SyncEvent the web
 * sees and the socket `update` body a CLI room is sent. The services publish domain facts
 * (`teamhub.events.v1.EntityEvent`); every HAPI name and shape of the live channels is here.
 */
import { SessionDoc, type EntityEvent } from '../../lib/gen/teamhub/events/v1/events.js';
import type { Message } from '../../lib/gen/teamhub/session/v1/session.js';
import { fromJsonText } from '../../lib/json.js';
import { toHapiMachine } from './machine-view.js';
import { MessageDeliveryState } from '../../lib/gen/teamhub/session/v1/session.js';
import { isHeldForLater, messageContent, toHapiCliMessage, toHapiMessage, toHapiSession } from './session-view.js';

type Json = Record<string, unknown>;

/**
 * One decoded event, rendered on demand: the SSE event and the socket body are each built at most
 * once, and a message's content is parsed at most once for both.
 */
export class RenderedEvent {
  private syncMemo: Json | null | undefined;
  private socketMemo: Json | null | undefined;
  private contentMemo: { value: unknown } | undefined;

  constructor(readonly event: EntityEvent) {}

  /** HAPI's SyncEvent for SSE, without the namespace stamp the SSE hub adds; null when none. */
  get syncEvent(): Json | null {
    if (this.syncMemo === undefined) this.syncMemo = this.renderSync();
    return this.syncMemo;
  }

  /** The body of HAPI's socket `update` for the entity's room; null when CLI sockets are not told. */
  get socketUpdate(): Json | null {
    if (this.socketMemo === undefined) this.socketMemo = this.renderSocket();
    return this.socketMemo;
  }

  private content(m: Message): unknown {
    this.contentMemo ??= { value: messageContent(m) };
    return this.contentMemo.value;
  }

  private renderSync(): Json | null {
    const c = this.event.change;
    switch (c?.$case) {
      case 'sessionUpserted': {
        const s = c.sessionUpserted.session;
        if (!s) return null;
        return { type: c.sessionUpserted.created ? 'session-added' : 'session-updated', sessionId: s.id, data: toHapiSession(s) };
      }
      case 'sessionRemoved':
        return { type: 'session-removed', sessionId: c.sessionRemoved.sessionId };
      case 'sessionEnded': {
        const { sessionId, reason } = c.sessionEnded;
        // HAPI's `session-end` reason is optional; an absent one is left out of the event.
        return reason ? { type: 'session-ended', sessionId, reason } : { type: 'session-ended', sessionId };
      }
      case 'messageAppended': {
        const m = c.messageAppended.message;
        // Only web messages have a delivery mode; HAPI's event of a CLI message has no scheduledAt.
        return m ? { type: 'message-received', sessionId: m.sessionId, message: toHapiMessage(m, this.content(m), { withScheduledAt: m.deliveryMode !== undefined }) } : null;
      }
      case 'messagesConsumed': {
        const { sessionId, localIds, invokedAt, steered } = c.messagesConsumed;
        return steered ? { type: 'messages-consumed', sessionId, localIds, invokedAt, steered: true } : { type: 'messages-consumed', sessionId, localIds, invokedAt };
      }
      case 'messageCancelled': {
        const { sessionId, messageId, localId } = c.messageCancelled;
        return localId === undefined ? { type: 'message-cancelled', sessionId, messageId } : { type: 'message-cancelled', sessionId, messageId, localId };
      }
      case 'messagesDeliveryChanged': {
        const { sessionId, localIds, state } = c.messagesDeliveryChanged;
        // Being steered is not shown; back in the queue and of unknown delivery are.
        if (state === MessageDeliveryState.MESSAGE_DELIVERY_STATE_INDETERMINATE) return { type: 'messages-indeterminate', sessionId, localIds };
        if (state === MessageDeliveryState.MESSAGE_DELIVERY_STATE_QUEUED) return { type: 'messages-requeued', sessionId, localIds };
        return null;
      }
      case 'scheduledMessageMatured': {
        const m = c.scheduledMessageMatured.message;
        return m ? { type: 'scheduled-matured', sessionId: m.sessionId } : null;
      }
      case 'queuedMessageSynced': {
        const m = c.queuedMessageSynced.message;
        return m ? { type: 'message-received', sessionId: m.sessionId, message: toHapiMessage(m, this.content(m)) } : null;
      }
      case 'messagesInvalidated': {
        const { sessionId, reason, truncateFromLocalId } = c.messagesInvalidated;
        const out: Json = { type: 'messages-invalidated', sessionId };
        // HAPI names a reason for a rewind only; other invalidations carry none.
        if (reason) out.reason = reason;
        if (truncateFromLocalId !== undefined) out.truncateFromLocalId = truncateFromLocalId;
        return out;
      }
      case 'machineUpserted': {
        const m = c.machineUpserted.machine;
        return m ? { type: 'machine-updated', machineId: m.id, data: toHapiMachine(m) } : null;
      }
      case 'machineRemoved':
        return { type: 'machine-updated', machineId: c.machineRemoved.machineId, data: null };
      case 'scratchlistChanged':
        return { type: 'session-updated', sessionId: c.scratchlistChanged.sessionId, data: { scratchlistUpdatedAt: c.scratchlistChanged.updatedAt } };
      case 'machineAgyModelsChanged':
        return { type: 'machine-agy-models-updated', machineId: c.machineAgyModelsChanged.machineId };
      default:
        return null;
    }
  }

  private renderSocket(): Json | null {
    const c = this.event.change;
    switch (c?.$case) {
      case 'sessionUpserted': {
        const s = c.sessionUpserted.session;
        const docs = c.sessionUpserted.changedDocs;
        if (!s || docs.length === 0) return null;
        return {
          t: 'update-session',
          sid: s.id,
          metadata: docs.includes(SessionDoc.SESSION_DOC_METADATA) ? { version: s.metadataVersion, value: fromJsonText(s.metadataJson) } : null,
          agentState: docs.includes(SessionDoc.SESSION_DOC_AGENT_STATE) ? { version: s.agentStateVersion, value: fromJsonText(s.agentStateJson) } : null,
        };
      }
      case 'messageAppended': {
        const m = c.messageAppended.message;
        // A message posted ahead of its time reaches the CLI when it is due (scheduledMessageMatured).
        if (!m || isHeldForLater(m)) return null;
        return { t: 'new-message', sid: m.sessionId, message: toHapiCliMessage(m, this.content(m)) };
      }
      case 'scheduledMessageMatured': {
        const m = c.scheduledMessageMatured.message;
        return m ? { t: 'new-message', sid: m.sessionId, message: toHapiCliMessage(m, this.content(m), true) } : null;
      }
      case 'machineUpserted': {
        const { machine: m, metadataChanged, runnerStateChanged } = c.machineUpserted;
        if (!m || (!metadataChanged && !runnerStateChanged)) return null;
        return {
          t: 'update-machine',
          machineId: m.id,
          metadata: metadataChanged ? { version: m.metadataVersion, value: fromJsonText(m.metadataJson) } : null,
          runnerState: runnerStateChanged ? { version: m.runnerStateVersion, value: fromJsonText(m.runnerStateJson) } : null,
        };
      }
      default:
        return null;
    }
  }
}
