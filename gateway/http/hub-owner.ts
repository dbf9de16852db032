import type { FastifyRequest } from 'fastify';
import type { HubCallContext } from '../../lib/context.js';
import { AppError } from '../../lib/errors.js';
import type { GatewayDeps } from '../deps.js';
import { clientAddrOf, readBearer } from './auth-header.js';
import { hubRequestContext } from './call-context.js';
import { requireWebCall, type WebCall } from './web-auth.js';

/** The caller of a hub-level web route: the hub's administrator, or a signed-in namespace. */
export type HubLevelCaller = { kind: 'admin'; ctx: HubCallContext } | ({ kind: 'namespace' } & WebCall);

/** The hub-level routes that take a body: the admin token may send them one above the pre-auth size. */
export const HUB_LEVEL_BODY_ROUTES: ReadonlySet<string> = new Set(['/api/hub-settings', '/api/voice/transcription/credentials']);

/** A web JWT is three dot-separated parts; the admin token is one base64url string (no dot). */
const looksLikeJwt = (token: string): boolean => token.split('.').length === 3;

/**
 * Who calls a hub-level route (`/api/storage/sqlite`, `/api/usage/summary`, `/api/hub-settings`,
 * the voice provider credentials). HAPI serves these to its "hub owner", the default namespace;
 * in teamhub namespaces are peers, so hub-wide data is the administrator's: `Bearer <admin token>`.
 * A JWT is checked exactly like on every `/api` route (401 for a bad one); anything else goes to
 * the admin check (a wrong token is 403 `Admin token required`, counted by the failed-login
 * throttle and audited like the admin routes).
 */
export async function hubLevelCaller(request: FastifyRequest, deps: Pick<GatewayDeps, 'auth'>, action: string): Promise<HubLevelCaller> {
  const bearer = readBearer(request);
  if (bearer.kind === 'ok' && !looksLikeJwt(bearer.token.trim())) {
    const ctx = hubRequestContext(request);
    await deps.auth.checkAdminToken(bearer.token.trim(), clientAddrOf(request), action, ctx);
    return { kind: 'admin', ctx };
  }
  return { kind: 'namespace', ...(await requireWebCall(request, deps)) };
}

/** The hub-wide context of an administrator; a namespace gets HAPI's owner-only 403 with `ownerOnlyError`. */
export async function requireHubOwner(request: FastifyRequest, deps: Pick<GatewayDeps, 'auth'>, action: string, ownerOnlyError: string): Promise<HubCallContext> {
  const caller = await hubLevelCaller(request, deps, action);
  if (caller.kind !== 'admin') throw new AppError('permission_denied', ownerOnlyError);
  return caller.ctx;
}
