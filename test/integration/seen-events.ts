import { addressOf, sessionIdOf, type EventChange } from '../../lib/events/entity-event.js';
import { EntityEvent } from '../../lib/gen/teamhub/events/v1/events.js';
import { RenderedEvent } from '../../gateway/hapi/event-render.js';

/**
 * An event a subscriber saw on NATS: the typed payload as decoded, its subject's last token,
 * and what the gateway renders from it for clients (HAPI type, SSE JSON, socket JSON), so
 * tests can check both the contract and what the web and the CLI would be sent.
 */
export interface SeenEvent {
  namespace: string;
  kind: string;
  requestId: string;
  origin?: string;
  change: EventChange;
  entity: string;
  entityId: string;
  sessionId?: string;
  /** HAPI's SyncEvent type (`session-added`, `machine-updated`, …). */
  type: string;
  syncEventJson: string;
  socketUpdateJson?: string;
}

export function seenEvent(subject: string, data: Uint8Array): SeenEvent {
  const ev = EntityEvent.decode(data);
  if (!ev.change) throw new Error(`event without a change on ${subject}`);
  const rendered = new RenderedEvent(ev);
  const sync = rendered.syncEvent ?? {};
  const socket = rendered.socketUpdate;
  const { entity, id } = addressOf(ev.change);
  return {
    namespace: ev.namespace,
    kind: subject.split('.').at(-1)!,
    requestId: ev.requestId,
    origin: ev.origin,
    change: ev.change,
    entity,
    entityId: id,
    sessionId: sessionIdOf(ev),
    type: String(sync.type),
    syncEventJson: JSON.stringify(sync),
    socketUpdateJson: socket ? JSON.stringify(socket) : undefined,
  };
}
