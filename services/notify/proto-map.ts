import type { Session } from '../../lib/gen/teamhub/session/v1/session.js';
import type { WorkEvent, WorkEventLink } from '../../lib/gen/teamhub/notify/v1/notify.js';
import { fromJsonText } from '../../lib/json.js';
import { asObject, type SessionView } from './session-view.js';
import type { WorkEventRecord, WorkLinkRecord } from './store.js';

function parse(text: string | undefined): Record<string, unknown> | null {
  try {
    return asObject(fromJsonText(text));
  } catch {
    return null;
  }
}

/** What the channels read of a proto Session (from a typed event or the session service). */
export function toSessionView(s: Session): SessionView {
  return { id: s.id, active: s.active, metadata: parse(s.metadataJson), agentState: parse(s.agentStateJson) };
}

const opt = <T>(v: T | null): T | undefined => (v === null ? undefined : v);

function parseTags(text: string): string[] {
  try {
    const v = JSON.parse(text) as unknown;
    return Array.isArray(v) ? v.filter((t): t is string => typeof t === 'string') : [];
  } catch {
    return [];
  }
}

export function toProtoWorkEvent(r: WorkEventRecord): WorkEvent {
  return {
    id: r.id,
    namespace: r.namespace,
    ts: r.ts,
    sourceKind: r.sourceKind,
    sourceRef: r.sourceRef,
    sinkKind: opt(r.sinkKind),
    sinkRef: opt(r.sinkRef),
    eventType: r.eventType,
    summary: opt(r.summary),
    payloadJson: opt(r.payloadJson),
    artifactRefsJson: r.artifactRefsJson,
    tags: parseTags(r.tagsJson),
    relatedSessionId: opt(r.relatedSessionId),
    relatedEventId: opt(r.relatedEventId),
    provenance: opt(r.provenance),
    idempotencyKey: opt(r.idempotencyKey),
    dedupeKey: opt(r.dedupeKey),
    confidence: opt(r.confidence),
    severity: opt(r.severity),
    expiresAt: opt(r.expiresAt),
    principalJson: r.principalJson,
  };
}

export function toProtoWorkLink(r: WorkLinkRecord): WorkEventLink {
  return {
    id: r.id,
    namespace: r.namespace,
    fromEventId: r.fromEventId,
    toEventId: r.toEventId,
    relationType: r.relationType,
    createdAt: r.createdAt,
    metadataJson: opt(r.metadataJson),
  };
}
