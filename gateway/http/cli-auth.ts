import type { FastifyRequest } from 'fastify';
import { AppError } from '../../lib/errors.js';
import type { Namespace } from '../../lib/namespace.js';
import type { GatewayDeps } from '../deps.js';
import { clientAddrOf, readBearer } from './auth-header.js';

/**
 * The `/cli` plane's check (HAPI `hub/src/web/routes/cli.ts:71-93`) with HAPI's exact texts:
 * no header → 401 Missing Authorization header; not `Bearer <token>` → 401 Invalid
 * Authorization header; a token the auth service refuses → 401 Invalid token; throttled → 429.
 */
export async function requireCliNamespace(request: FastifyRequest, deps: Pick<GatewayDeps, 'auth'>): Promise<Namespace> {
  const bearer = readBearer(request);
  if (bearer.kind === 'missing') throw new AppError('unauthenticated', 'Missing Authorization header');
  if (bearer.kind === 'malformed') throw new AppError('unauthenticated', 'Invalid Authorization header');
  if (bearer.kind === 'bad-encoding') throw new AppError('unauthenticated', 'Invalid token');
  return deps.auth.resolveAccessToken(bearer.token, clientAddrOf(request), 'cli');
}
