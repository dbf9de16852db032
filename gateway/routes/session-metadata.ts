import { AppError } from '../../lib/errors.js';
import type { CallContext } from '../../lib/context.js';
import { CasResult } from '../../lib/gen/teamhub/common/v1/common.js';
import type { Session } from '../../lib/gen/teamhub/session/v1/session.js';
import { fromJsonText } from '../../lib/json.js';
import type { GatewayDeps } from '../deps.js';
import { requireSessionAccess } from './api-sessions-guard.js';

export type Metadata = Record<string, unknown>;

const isObject = (v: unknown): v is Metadata => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The session's HAPI metadata object, or null. */
export function metadataOf(s: Session): Metadata | null {
  const md = fromJsonText(s.metadataJson);
  return isObject(md) ? md : null;
}

/** A string field of an object, or undefined (empty strings count as absent, as HAPI's checks do). */
export const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

export const flavorOf = (s: Session): string => str(metadataOf(s)?.flavor) ?? 'claude';

/** HAPI's capability flags in metadata: shared (concurrentClients) sessions and history support. */
export function capabilitiesOf(s: Session): Metadata {
  const caps = metadataOf(s)?.capabilities;
  return isObject(caps) ? caps : {};
}
export const isShared = (s: Session): boolean => capabilitiesOf(s).concurrentClients === true;

export function controlledByUser(s: Session): boolean {
  const state = fromJsonText(s.agentStateJson);
  return isObject(state) && state.controlledByUser === true;
}

const ATTEMPTS = 5;

/**
 * Rewrites the session's metadata with `change` as HAPI's hub does: read, change, compare-and-swap
 * on the version, retry on a concurrent write. `change` returns the new metadata, or null for
 * "nothing to write" (the session is answered as it is). Every write goes out as a normal metadata
 * update (SSE session-updated, `update-session` to the CLI).
 */
export async function updateMetadataWith(
  deps: Pick<GatewayDeps, 'clients'>,
  ctx: CallContext,
  id: string,
  change: (metadata: Metadata | null, session: Session) => Metadata | null,
): Promise<Session> {
  for (let i = 0; i < ATTEMPTS; i++) {
    const s = await requireSessionAccess(deps, ctx, id);
    const next = change(metadataOf(s), s);
    if (next === null) return s;
    const res = await deps.clients.session.call('updateMetadata', { id, expectedVersion: s.metadataVersion, json: JSON.stringify(next) }, ctx);
    if (res.result === CasResult.CAS_RESULT_SUCCESS && res.session) return res.session;
  }
  throw new AppError('conflict', 'Session was modified concurrently. Please try again.');
}
