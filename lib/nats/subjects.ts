import { subjectToken, type Namespace } from '../namespace.js';

/** Every subject the project uses starts here, so one server can host several hubs' streams. */
export const SUBJECT_ROOT = 'teamhub';

export type Entity = 'session' | 'machine' | 'message' | 'rpc' | 'room' | 'namespace' | 'toast' | 'terminal' | 'tty';

/**
 * What happened to an entity, the last subject token: a domain word, not a client protocol's
 * event name (the gateway decides what each client is told).
 */
export type EventKind =
  | 'upserted'
  | 'removed'
  | 'ended'
  | 'appended'
  | 'consumed'
  | 'cancelled'
  | 'delivery'
  | 'matured'
  | 'synced'
  | 'invalidated'
  | 'agy-models-changed'
  | 'scratchlist-changed';

/**
 * `teamhub.<ns-token>.<entity>.<id-token>.<kind>`. The namespace and the id are encoded with
 * `subjectToken`, so no client-chosen string can add a token, a wildcard or whitespace.
 */
export function entitySubject(ns: Namespace, entity: Entity, id: string, kind: EventKind): string {
  if (!/^[a-z][a-z0-9-]*$/.test(kind)) throw new Error(`bad event kind: ${kind}`);
  return `${SUBJECT_ROOT}.${subjectToken(ns)}.${entity}.${subjectToken(id)}.${kind}`;
}

/** Wildcard for everything in one namespace. */
export function namespaceWildcard(ns: Namespace): string {
  return `${SUBJECT_ROOT}.${subjectToken(ns)}.>`;
}

/** Wildcard for every event of one entity in one namespace. */
export function entityWildcard(ns: Namespace, entity: Entity, id?: string): string {
  return `${SUBJECT_ROOT}.${subjectToken(ns)}.${entity}.${id === undefined ? '*' : subjectToken(id)}.*`;
}

/** RPC routing: the subject a gateway replica listens on for calls to `<scopeId>:<method>`. */
export function rpcSubject(ns: Namespace, scopeId: string, method: string): string {
  return `${SUBJECT_ROOT}.${subjectToken(ns)}.rpc.${subjectToken(scopeId)}.${subjectToken(method)}`;
}

/**
 * A toast for the visible pages of `ns` that one gateway replica holds: the notify service asks
 * that replica by name (request/reply), so each page gets it once whatever the number of replicas.
 */
export function toastSubject(ns: Namespace, replicaId: string): string {
  return `${SUBJECT_ROOT}.${subjectToken(ns)}.toast.${subjectToken(replicaId)}`;
}

/** What one gateway replica subscribes to for toasts in any namespace (the payload names it too). */
export function replicaToastWildcard(replicaId: string): string {
  return `${SUBJECT_ROOT}.*.toast.${subjectToken(replicaId)}`;
}

/**
 * A question to every CLI socket of one room, on whichever gateway replicas hold them
 * (`teamhub.<ns>.room.<kind>.<id>`; not captured by the event stream).
 */
export function roomAskSubject(ns: Namespace, kind: 'session' | 'machine', id: string): string {
  return `${SUBJECT_ROOT}.${subjectToken(ns)}.room.${kind}.${subjectToken(id)}`;
}

/** Web terminal routing to the replicas serving one session (not in the event stream). */
export type TerminalKind = 'open' | 'agent' | 'viewers' | 'agent-output';

/** `teamhub.<ns>.terminal.<session>.<kind>`: a replica holding the session's CLI socket, or (agent-output) every replica showing it. */
export function terminalSubject(ns: Namespace, sessionId: string, kind: TerminalKind): string {
  return `${SUBJECT_ROOT}.${subjectToken(ns)}.terminal.${subjectToken(sessionId)}.${kind}`;
}

/** `teamhub.<ns>.tty.<replica>`: web terminal frames for one gateway replica. */
export function terminalReplicaSubject(ns: Namespace, replicaId: string): string {
  return `${SUBJECT_ROOT}.${subjectToken(ns)}.tty.${subjectToken(replicaId)}`;
}

/** Every namespace's web terminal frames for one replica (payloads are checked against their subject). */
export function terminalReplicaWildcard(replicaId: string): string {
  return `${SUBJECT_ROOT}.*.tty.${subjectToken(replicaId)}`;
}

/** Hub-wide subjects (not namespaced): credential revocations. */
export const HUB_SUBJECTS = {
  revocation: `${SUBJECT_ROOT}._hub.auth.revocation`,
} as const;
