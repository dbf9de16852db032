import { subjectToken, type Namespace } from '../namespace.js';

/** Every subject the project uses starts here, so one server can host several hubs' streams. */
export const SUBJECT_ROOT = 'teamhub';

export type Entity = 'session' | 'machine' | 'message' | 'rpc' | 'namespace';

/**
 * `teamhub.<ns-token>.<entity>.<id-token>.<event>`. The namespace and the id are encoded with
 * `subjectToken`, so no client-chosen string can add a token, a wildcard or whitespace.
 */
export function entitySubject(ns: Namespace, entity: Entity, id: string, event: string): string {
  if (!/^[a-z][a-z0-9-]*$/.test(event)) throw new Error(`bad event name: ${event}`);
  return `${SUBJECT_ROOT}.${subjectToken(ns)}.${entity}.${subjectToken(id)}.${event}`;
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

/** Hub-wide subjects (not namespaced): revocations, notifications queue. */
export const HUB_SUBJECTS = {
  revocation: `${SUBJECT_ROOT}._hub.auth.revocation`,
  notification: `${SUBJECT_ROOT}._hub.telegram.notification`,
} as const;
