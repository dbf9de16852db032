/**
 * HAPI's work graph on the wire: the request
 * schemas with HAPI's bounds, and events and links as HAPI's JSON. The notify service keeps the
 * records (client JSON as text); this is the only place that reads or writes their HAPI shape.
 */
import { z } from 'zod';
import type { WorkEvent, WorkEventLink } from '../../lib/gen/teamhub/notify/v1/notify.js';

const MAX_STRING = 8192;
const MAX_SUMMARY = 2048;
const MAX_TAGS = 32;
const MAX_ARTIFACT_REFS = 32;
const MAX_PAYLOAD_JSON_BYTES = 32 * 1024;
/** Larger bodies are refused before they are parsed (413 `Request body too large`). */
export const WORK_GRAPH_MAX_BODY_BYTES = 64 * 1024;

function jsonWithinLimit(value: unknown): boolean {
  if (value === undefined) return true;
  try {
    return Buffer.byteLength(JSON.stringify(value), 'utf8') <= MAX_PAYLOAD_JSON_BYTES;
  } catch {
    return false;
  }
}

export const WorkGraphPrincipal = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('human'), id: z.string().min(1).max(256) }),
  z.object({ kind: z.literal('agent'), id: z.string().min(1).max(256), on_behalf_of: z.string().min(1).max(256) }),
  z.object({ kind: z.literal('service'), id: z.string().min(1).max(256), on_behalf_of: z.string().min(1).max(256) }),
]);
type Principal = z.infer<typeof WorkGraphPrincipal>;

const ArtifactRef = z
  .object({
    kind: z.string().min(1).max(128),
    url: z.string().max(MAX_STRING).optional(),
    title: z.string().max(512).optional(),
    ref: z.string().max(MAX_STRING).nullable().optional(),
    source: z.string().max(128).optional(),
    created_at: z.number().optional(),
  })
  .passthrough();

export const WorkEventCreateBody = z.object({
  source_kind: z.string().min(1).max(128),
  source_ref: z.string().min(1).max(MAX_STRING),
  sink_kind: z.string().min(1).max(128).optional(),
  sink_ref: z.string().min(1).max(MAX_STRING).optional(),
  event_type: z.string().min(1).max(128),
  summary: z.string().max(MAX_SUMMARY).optional(),
  payload_json: z.unknown().optional().refine(jsonWithinLimit, { message: `payload_json exceeds ${MAX_PAYLOAD_JSON_BYTES} bytes` }),
  artifact_refs: z.array(ArtifactRef).max(MAX_ARTIFACT_REFS).optional(),
  tags: z.array(z.string().max(256)).max(MAX_TAGS).optional(),
  related_session_id: z.string().min(1).max(256).optional(),
  related_event_id: z.string().min(1).max(256).optional(),
  provenance: z.string().max(512).optional(),
  idempotency_key: z.string().min(1).max(512).optional(),
  dedupe_key: z.string().min(1).max(512).optional(),
  confidence: z.number().optional(),
  severity: z.string().max(64).optional(),
  expires_at: z.number().optional(),
  principal: WorkGraphPrincipal,
});
export type WorkEventCreateBody = z.infer<typeof WorkEventCreateBody>;

export const WorkLinkCreateBody = z.object({
  from_event_id: z.string().min(1).max(256),
  to_event_id: z.string().min(1).max(256),
  relation_type: z.string().min(1).max(128),
  metadata_json: z.unknown().optional().refine(jsonWithinLimit, { message: `metadata_json exceeds ${MAX_PAYLOAD_JSON_BYTES} bytes` }),
});

/** Provenance only the hub itself writes (agents' notification summaries). */
export const RESERVED_PROVENANCE = 'AGENT_NOTIFY_SUMMARY';

/**
 * A principal must be accountable to the signed-in user: a human with the user's id, or an agent
 * or service acting on the user's behalf.
 */
export function principalIsCaller(p: Principal, uid: number): boolean {
  const id = String(uid);
  return p.kind === 'human' ? p.id === id : p.on_behalf_of === id;
}

/** The body as the notify service's proto event (JSON parts as text). */
export function toProtoWorkEvent(b: WorkEventCreateBody): WorkEvent {
  return {
    id: '',
    namespace: '',
    ts: 0,
    sourceKind: b.source_kind,
    sourceRef: b.source_ref,
    sinkKind: b.sink_kind,
    sinkRef: b.sink_ref,
    eventType: b.event_type,
    summary: b.summary,
    payloadJson: b.payload_json === undefined ? undefined : JSON.stringify(b.payload_json),
    artifactRefsJson: JSON.stringify(b.artifact_refs ?? []),
    tags: b.tags ?? [],
    relatedSessionId: b.related_session_id,
    relatedEventId: b.related_event_id,
    provenance: b.provenance,
    idempotencyKey: b.idempotency_key,
    dedupeKey: b.dedupe_key,
    confidence: b.confidence,
    severity: b.severity,
    expiresAt: b.expires_at,
    principalJson: JSON.stringify(b.principal),
  };
}

function parseOr<T>(text: string | undefined, fallback: T): unknown {
  if (text === undefined) return fallback;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return fallback;
  }
}

const nul = <T>(v: T | undefined): T | null => (v === undefined ? null : v);

/** HAPI's event JSON (`toEvent`). */
export function toHapiWorkEvent(e: WorkEvent) {
  const artifactRefs = parseOr(e.artifactRefsJson, []);
  const principal = WorkGraphPrincipal.safeParse(parseOr(e.principalJson, null));
  return {
    id: e.id,
    ts: e.ts,
    sourceKind: e.sourceKind,
    sourceRef: e.sourceRef,
    sinkKind: nul(e.sinkKind),
    sinkRef: nul(e.sinkRef),
    eventType: e.eventType,
    summary: nul(e.summary),
    payloadJson: parseOr(e.payloadJson, null),
    artifactRefs: Array.isArray(artifactRefs) ? artifactRefs : [],
    tags: e.tags,
    relatedSessionId: nul(e.relatedSessionId),
    relatedEventId: nul(e.relatedEventId),
    provenance: nul(e.provenance),
    idempotencyKey: nul(e.idempotencyKey),
    dedupeKey: nul(e.dedupeKey),
    confidence: nul(e.confidence),
    severity: nul(e.severity),
    expiresAt: nul(e.expiresAt),
    namespace: e.namespace,
    principal: principal.success ? principal.data : { kind: 'human', id: 'invalid' },
  };
}

/** HAPI's link JSON (`toLink`). */
export function toHapiWorkLink(l: WorkEventLink) {
  return {
    id: l.id,
    fromEventId: l.fromEventId,
    toEventId: l.toEventId,
    relationType: l.relationType,
    createdAt: l.createdAt,
    metadataJson: parseOr(l.metadataJson, null),
    namespace: l.namespace,
  };
}
