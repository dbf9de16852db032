import type { FastifyInstance } from 'fastify';
import { ApiAuthBody, ApiBindBody, ApiUnbindBody } from '../../lib/hapi/schemas.js';
import { AppError } from '../../lib/errors.js';
import type { IssueWebTokenResponse } from '../../lib/gen/teamhub/auth/v1/auth.js';
import type { GatewayDeps } from '../deps.js';
import { clientAddrOf } from '../http/auth-header.js';
import { requireWebPrincipal } from '../http/web-auth.js';
import { parseOr400 } from '../http/validate.js';

/** A local revocation hook, so logout takes effect on this replica before the NATS event lands. */
export interface LocalRevoker {
  applyRevocation(ev: { jti?: string; expiresAt?: number }): void;
}

/** HAPI's `{token, user:{id, username?, firstName?, lastName?}}` (transcript E). */
export function toLoginResponse(res: IssueWebTokenResponse): { token: string; user: Record<string, unknown> } {
  if (!res.user) throw new AppError('internal', 'auth service answered without a user');
  const user: Record<string, unknown> = { id: res.user.id };
  if (res.user.username !== undefined) user.username = res.user.username;
  if (res.user.firstName !== undefined) user.firstName = res.user.firstName;
  if (res.user.lastName !== undefined) user.lastName = res.user.lastName;
  return { token: res.token, user };
}

/** `POST /api/auth`, `/api/bind`, `/api/unbind`, `/api/auth/logout` (reference §2.9, §3.2). */
export function registerApiAuthRoutes(app: FastifyInstance, deps: GatewayDeps, revoker?: LocalRevoker): void {
  app.post('/api/auth', async (request) => {
    const body = parseOr400(ApiAuthBody, request.body);
    const credential = 'accessToken' in body ? { $case: 'accessToken' as const, accessToken: body.accessToken } : { $case: 'initData' as const, initData: body.initData };
    const res = await deps.clients.auth.call('issueWebToken', { credential, clientAddr: clientAddrOf(request) }, { hub: true, requestId: request.id });
    return toLoginResponse(res);
  });

  app.post('/api/bind', async (request) => {
    const body = parseOr400(ApiBindBody, request.body);
    const res = await deps.clients.auth.call(
      'bindTelegram',
      { initData: body.initData, accessToken: body.accessToken, clientAddr: clientAddrOf(request) },
      { hub: true, requestId: request.id },
    );
    return toLoginResponse(res);
  });

  app.post('/api/unbind', async (request) => {
    const principal = await requireWebPrincipal(request, deps);
    const body = parseOr400(ApiUnbindBody, request.body);
    const ns = principal.namespace;
    const res = await deps.clients.auth.call(
      'unbindTelegram',
      { namespace: ns, initData: body.initData, clientAddr: clientAddrOf(request) },
      { namespace: ns, requestId: request.id },
    );
    return { ok: true, unbound: res.unbound };
  });

  app.post('/api/auth/logout', async (request) => {
    const principal = await requireWebPrincipal(request, deps);
    const ns = principal.namespace;
    await deps.clients.auth.call(
      'revokeWebToken',
      { namespace: ns, jti: principal.jti, expiresAt: principal.exp, clientAddr: clientAddrOf(request) },
      { namespace: ns, requestId: request.id },
    );
    revoker?.applyRevocation({ jti: principal.jti, expiresAt: principal.exp });
    return { ok: true };
  });
}
