import type { FastifyRequest } from 'fastify';
import { AppError } from '../../lib/errors.js';
import type { CallContext } from '../../lib/context.js';
import type { GatewayDeps, WebPrincipal } from '../deps.js';
import { readBearer } from './auth-header.js';
import { requestContext } from './call-context.js';

export interface WebAuthOptions {
  /**
   * Accept `?token=<jwt>` (only the SSE route, like HAPI) and teamhub's `?ticket=` (a 30 s,
   * single-use stand-in for the JWT, so the page need not put its JWT in a URL).
   */
  allowQueryToken?: boolean;
}

function queryParam(request: FastifyRequest, name: 'token' | 'ticket'): string | undefined {
  const q = request.query as Record<string, unknown> | undefined;
  const t = q?.[name];
  return typeof t === 'string' && t.length > 0 ? t : undefined;
}

/**
 * The `/api` plane's check, as HAPI's web middleware does it: a Bearer JWT (or `?token=` where
 * allowed); missing → 401 Missing authorization token; bad → 401 Invalid token.
 */
export async function requireWebPrincipal(request: FastifyRequest, deps: Pick<GatewayDeps, 'auth'>, opts: WebAuthOptions = {}): Promise<WebPrincipal> {
  const bearer = readBearer(request);
  let token: string | undefined;
  if (bearer.kind === 'ok') token = bearer.token.trim();
  else if (bearer.kind === 'bad-encoding') throw new AppError('unauthenticated', 'Invalid token');
  // HAPI treats a header that is not `Bearer …` as absent.
  else if (opts.allowQueryToken) {
    const ticket = queryParam(request, 'ticket');
    if (ticket !== undefined && deps.auth.redeemSseTicket) return deps.auth.redeemSseTicket(ticket);
    token = queryParam(request, 'token');
  }
  if (token === undefined) throw new AppError('unauthenticated', 'Missing authorization token');
  return deps.auth.verifyWebToken(token);
}

/** A signed-in web caller: who it is and the request's call context in its namespace. */
export interface WebCall {
  principal: WebPrincipal;
  ctx: CallContext;
}

/** `requireWebPrincipal`, then the request's context in the principal's namespace. */
export async function requireWebCall(request: FastifyRequest, deps: Pick<GatewayDeps, 'auth'>, opts: WebAuthOptions = {}): Promise<WebCall> {
  const principal = await requireWebPrincipal(request, deps, opts);
  return { principal, ctx: requestContext(request, principal.namespace) };
}
