import type { FastifyRequest } from 'fastify';
import { AppError } from '../../lib/errors.js';
import type { HubCallContext } from '../../lib/context.js';
import type { GatewayDeps } from '../deps.js';
import { clientAddrOf, readBearer } from './auth-header.js';
import { hubRequestContext } from './call-context.js';

/**
 * Hub administration needs the admin token, never the base token: no header → 401; anything
 * else the auth service refuses (the base token, `base:bob`, garbage) → 403 Admin token required.
 */
export async function requireAdmin(request: FastifyRequest, deps: Pick<GatewayDeps, 'auth'>, action: string): Promise<HubCallContext> {
  const bearer = readBearer(request);
  if (bearer.kind === 'missing') throw new AppError('unauthenticated', 'Missing Authorization header');
  if (bearer.kind !== 'ok') throw new AppError('permission_denied', 'Admin token required');
  const ctx = hubRequestContext(request);
  await deps.auth.checkAdminToken(bearer.token.trim(), clientAddrOf(request), action, ctx);
  return ctx;
}
