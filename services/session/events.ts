import type { EntityEventInput, EventSink } from '../../lib/events/publisher.js';
import type { Logger } from '../../lib/logger.js';
import type { Namespace } from '../../lib/namespace.js';
import { fromJsonText } from '../../lib/json.js';
import { toHapiCliMessage, toHapiMessage, toHapiSession } from '../../lib/hapi/session-view.js';
import { toProtoMessage, toProtoSession } from './proto-map.js';
import type { MessageRecord, SessionRecord, VersionedDoc } from './store.js';

/**
 * The session service's events, published after each durable write. A failed publish is logged
 * and swallowed: the write already happened and clients resync from the store.
 */
export class SessionEvents {
  constructor(
    private readonly sink: EventSink,
    private readonly log: Logger,
  ) {}

  private async emit(ns: Namespace, input: EntityEventInput): Promise<void> {
    try {
      await this.sink.publish(ns, input);
    } catch (err) {
      this.log.warn({ err, type: input.type, entityId: input.entityId }, 'event publish failed after a durable write');
    }
  }

  sessionAdded(s: SessionRecord, origin?: string): Promise<void> {
    const data = toHapiSession(toProtoSession(s));
    return this.emit(s.namespace, {
      entity: 'session',
      entityId: s.id,
      type: 'session-added',
      syncEvent: { type: 'session-added', sessionId: s.id, data },
      sessionId: s.id,
      origin,
    });
  }

  /** A full-session update; `changed` names the versioned document that changed, for the CLI `update-session`. */
  sessionUpdated(s: SessionRecord, origin?: string, changed?: VersionedDoc): Promise<void> {
    const data = toHapiSession(toProtoSession(s));
    const socketUpdate =
      changed === undefined
        ? undefined
        : {
            t: 'update-session',
            sid: s.id,
            metadata: changed === 'metadata' ? { version: s.metadataVersion, value: fromJsonText(s.metadataJson) } : null,
            agentState: changed === 'agentState' ? { version: s.agentStateVersion, value: fromJsonText(s.agentStateJson) } : null,
          };
    return this.emit(s.namespace, {
      entity: 'session',
      entityId: s.id,
      type: 'session-updated',
      syncEvent: { type: 'session-updated', sessionId: s.id, data },
      socketUpdate,
      sessionId: s.id,
      origin,
    });
  }

  sessionRemoved(ns: Namespace, sessionId: string): Promise<void> {
    return this.emit(ns, {
      entity: 'session',
      entityId: sessionId,
      type: 'session-removed',
      syncEvent: { type: 'session-removed', sessionId },
      sessionId,
    });
  }

  /** HAPI's `session-end` reason is optional; an absent one is left out of the event. */
  sessionEnded(ns: Namespace, sessionId: string, reason: string | undefined): Promise<void> {
    return this.emit(ns, {
      entity: 'session',
      entityId: sessionId,
      type: 'session-ended',
      syncEvent: reason ? { type: 'session-ended', sessionId, reason } : { type: 'session-ended', sessionId },
      sessionId,
    });
  }

  messageReceived(ns: Namespace, m: MessageRecord, origin?: string): Promise<void> {
    const proto = toProtoMessage(m);
    return this.emit(ns, {
      entity: 'message',
      entityId: m.sessionId,
      type: 'message-received',
      syncEvent: { type: 'message-received', sessionId: m.sessionId, message: toHapiMessage(proto) },
      socketUpdate: { t: 'new-message', sid: m.sessionId, message: toHapiCliMessage(proto) },
      sessionId: m.sessionId,
      origin,
    });
  }

  messagesConsumed(ns: Namespace, sessionId: string, localIds: string[], invokedAt: number): Promise<void> {
    return this.emit(ns, {
      entity: 'message',
      entityId: sessionId,
      type: 'messages-consumed',
      syncEvent: { type: 'messages-consumed', sessionId, localIds, invokedAt },
      sessionId,
    });
  }
}
