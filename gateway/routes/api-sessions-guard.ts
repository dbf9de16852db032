import type { FastifyRequest } from 'fastify';
import { AppError } from '../../lib/errors.js';
import type { CallContext } from '../../lib/context.js';
import type { Session } from '../../lib/gen/teamhub/session/v1/session.js';
import type { GatewayDeps } from '../deps.js';
import { requireWebCall } from '../http/web-auth.js';

export interface WebSessionCall {
  ctx: CallContext;
  session: Session;
}

/**
 * HAPI's `requireSession` for `/api/sessions/:id/*` routes that need the session before they act
 * (its state decides what they do): JWT → namespace; the session service answers 403 `Session
 * access denied` / 404 `Session not found` for another namespace's id or none. Routes whose one
 * write already answers those errors call the write alone (`requireSessionAccess` only on their
 * error path).
 */
export async function requireWebSession(request: FastifyRequest, deps: Pick<GatewayDeps, 'auth' | 'clients'>, id: string): Promise<WebSessionCall> {
  const { ctx } = await requireWebCall(request, deps);
  return { ctx, session: await requireSessionAccess(deps, ctx, id) };
}

/** The session `id` in the context's namespace, or HAPI's 403/404. */
export async function requireSessionAccess(deps: Pick<GatewayDeps, 'clients'>, ctx: CallContext, id: string): Promise<Session> {
  const res = await deps.clients.session.call('getSession', { id }, ctx);
  if (!res.session) throw new AppError('not_found', 'Session not found');
  return res.session;
}

/** Routes that need the CLI answer HAPI's 409 while the session is inactive. */
export function requireActive(session: Session): void {
  if (!session.active) throw new AppError('failed_precondition', 'Session is inactive', { details: { hapiCode: 'session_inactive' } });
}
