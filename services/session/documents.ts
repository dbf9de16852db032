/**
 * The session service's rules for the client documents it stores. They are HAPI's rules (the
 * real CLI and web rely on them), kept here because they decide what is stored, not how it is
 * shown: the gateway only renders what this service kept.
 */

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Session metadata is kept only when it is an object with string `path` and `host`; else null. */
export function isValidSessionMetadata(value: unknown): value is Record<string, unknown> {
  return isObject(value) && typeof value.path === 'string' && typeof value.host === 'string';
}

/** Agent state is kept only when it is an object; else null. */
export function isValidAgentState(value: unknown): value is Record<string, unknown> {
  return isObject(value);
}

/** The metadata object of a stored text, for a rename; null when there is none to rename. */
export function metadataObject(text: string | null): Record<string, unknown> | null {
  const md = text === null ? null : (JSON.parse(text) as unknown);
  return isObject(md) ? md : null;
}

/**
 * How many permission requests an agent state holds (`requests` keyed by request id). Kept with
 * the session so its list is ordered in the store query as HAPI orders it (more pending first).
 */
export function pendingRequestCount(agentState: unknown): number {
  return isObject(agentState) && isObject(agentState.requests) ? Object.keys(agentState.requests).length : 0;
}
