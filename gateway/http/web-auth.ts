import type { FastifyRequest } from 'fastify';
import { AppError } from '../../lib/errors.js';
import type { GatewayDeps, WebPrincipal } from '../deps.js';
import { readBearer } from './auth-header.js';

export interface WebAuthOptions {
  /** Accept `?token=<jwt>` (only the SSE route, like HAPI). */
  allowQueryToken?: boolean;
}

function queryToken(request: FastifyRequest): string | undefined {
  const q = request.query as Record<string, unknown> | undefined;
  const t = q?.token;
  return typeof t === 'string' && t.length > 0 ? t : undefined;
}

/**
 * The `/api` plane's check (HAPI `hub/src/web/middleware/auth.ts`): a Bearer JWT (or `?token=`
 * where allowed); missing → 401 Missing authorization token; bad → 401 Invalid token.
 */
export async function requireWebPrincipal(request: FastifyRequest, deps: Pick<GatewayDeps, 'auth'>, opts: WebAuthOptions = {}): Promise<WebPrincipal> {
  const bearer = readBearer(request);
  let token: string | undefined;
  if (bearer.kind === 'ok') token = bearer.token.trim();
  else if (bearer.kind === 'bad-encoding') throw new AppError('unauthenticated', 'Invalid token');
  // HAPI treats a header that is not `Bearer …` as absent.
  else if (opts.allowQueryToken) token = queryToken(request);
  if (token === undefined) throw new AppError('unauthenticated', 'Missing authorization token');
  return deps.auth.verifyWebToken(token);
}
