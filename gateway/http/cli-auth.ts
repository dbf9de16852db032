import type { FastifyRequest } from 'fastify';
import { AppError } from '../../lib/errors.js';
import type { CallContext } from '../../lib/context.js';
import type { GatewayDeps } from '../deps.js';
import { clientAddrOf, readBearer } from './auth-header.js';
import { hubRequestContext, requestContext } from './call-context.js';

/**
 * The `/cli` plane's check, with HAPI's exact texts (the real CLI shows them): no header → 401
 * Missing Authorization header; not `Bearer <token>` → 401 Invalid Authorization header; a token
 * the auth service refuses → 401 Invalid token; throttled → 429. Answers the request's context.
 */
export async function requireCliContext(request: FastifyRequest, deps: Pick<GatewayDeps, 'auth'>): Promise<CallContext> {
  const bearer = readBearer(request);
  if (bearer.kind === 'missing') throw new AppError('unauthenticated', 'Missing Authorization header');
  if (bearer.kind === 'malformed') throw new AppError('unauthenticated', 'Invalid Authorization header');
  if (bearer.kind === 'bad-encoding') throw new AppError('unauthenticated', 'Invalid token');
  const ns = await deps.auth.resolveAccessToken(bearer.token, clientAddrOf(request), 'cli', hubRequestContext(request));
  return requestContext(request, ns);
}
