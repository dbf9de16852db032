import type { FastifyInstance } from 'fastify';
import { ApiAuthBody, ApiBindBody, ApiUnbindBody } from '../hapi/schemas.js';
import { AppError } from '../../lib/errors.js';
import type { IssueWebTokenResponse } from '../../lib/gen/teamhub/auth/v1/auth.js';
import type { GatewayDeps } from '../deps.js';
import { clientAddrOf } from '../http/auth-header.js';
import { credentialFromJson } from '../http/credential.js';
import { requireWebCall } from '../http/web-auth.js';
import { hubRequestContext } from '../http/call-context.js';
import { parseOr400 } from '../http/validate.js';

/** HAPI's answer to an access token it refuses at login (the auth service answers the same). */
const INVALID_ACCESS_TOKEN = 'Invalid access token';

/** A local revocation hook, so logout takes effect on this replica before the NATS event lands. */
export interface LocalRevoker {
  applyRevocation(ev: { jti?: string; expiresAt?: number }): void;
}

/** HAPI's login answer: `{token, user:{id, username?, firstName?, lastName?}}` (absent names left out). */
export function toLoginResponse(res: IssueWebTokenResponse): { token: string; user: Record<string, unknown> } {
  if (!res.user) throw new AppError('internal', 'auth service answered without a user');
  const user: Record<string, unknown> = { id: res.user.id };
  if (res.user.username !== undefined) user.username = res.user.username;
  if (res.user.firstName !== undefined) user.firstName = res.user.firstName;
  if (res.user.lastName !== undefined) user.lastName = res.user.lastName;
  return { token: res.token, user };
}

function isLocalRevoker(x: unknown): x is LocalRevoker {
  return typeof (x as LocalRevoker)?.applyRevocation === 'function';
}

/** `POST /api/auth` (web login: access token or Telegram initData), `/api/bind`, `/api/unbind`, `/api/auth/logout`. */
export function registerApiAuthRoutes(app: FastifyInstance, deps: GatewayDeps): void {
  const revoker = isLocalRevoker(deps.auth) ? deps.auth : undefined;
  app.post('/api/auth', async (request) => {
    const body = parseOr400(ApiAuthBody, request.body);
    if ('accessToken' in body && credentialFromJson(body.accessToken) === null) throw new AppError('unauthenticated', INVALID_ACCESS_TOKEN);
    const credential = 'accessToken' in body ? { $case: 'accessToken' as const, accessToken: body.accessToken } : { $case: 'initData' as const, initData: body.initData };
    const res = await deps.clients.auth.call('issueWebToken', { credential, clientAddr: clientAddrOf(request) }, hubRequestContext(request));
    return toLoginResponse(res);
  });

  app.post('/api/bind', async (request) => {
    const body = parseOr400(ApiBindBody, request.body);
    if (credentialFromJson(body.accessToken) === null) throw new AppError('unauthenticated', INVALID_ACCESS_TOKEN);
    const res = await deps.clients.auth.call(
      'bindTelegram',
      { initData: body.initData, accessToken: body.accessToken, clientAddr: clientAddrOf(request) },
      hubRequestContext(request),
    );
    return toLoginResponse(res);
  });

  app.post('/api/unbind', async (request) => {
    const { ctx } = await requireWebCall(request, deps);
    const body = parseOr400(ApiUnbindBody, request.body);
    const res = await deps.clients.auth.call('unbindTelegram', { initData: body.initData, clientAddr: clientAddrOf(request) }, ctx);
    return { ok: true, unbound: res.unbound };
  });

  app.post('/api/auth/logout', async (request) => {
    const { principal, ctx } = await requireWebCall(request, deps);
    await deps.clients.auth.call('revokeWebToken', { jti: principal.jti, expiresAt: principal.exp, clientAddr: clientAddrOf(request) }, ctx);
    revoker?.applyRevocation({ jti: principal.jti, expiresAt: principal.exp });
    return { ok: true };
  });
}
