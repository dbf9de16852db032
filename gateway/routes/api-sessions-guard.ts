import type { FastifyRequest } from 'fastify';
import { AppError } from '../../lib/errors.js';
import type { Session } from '../../lib/gen/teamhub/session/v1/session.js';
import type { Namespace } from '../../lib/namespace.js';
import type { GatewayDeps } from '../deps.js';
import { requireWebPrincipal } from '../http/web-auth.js';

/** Calls `<scopeId>:<method>` on whichever replica holds the registering socket. */
export type RpcCall = (ns: Namespace, scopeId: string, method: string, params: unknown, timeoutMs?: number) => Promise<unknown>;

export interface WebSessionCall {
  ns: Namespace;
  scope: { namespace: Namespace; requestId: string };
  session: Session;
}

/**
 * HAPI's `requireSession` for `/api/sessions/:id/*`: JWT → namespace; the session service
 * answers 403 `Session access denied` / 404 `Session not found` for another namespace or none.
 */
export async function requireWebSession(request: FastifyRequest, deps: GatewayDeps, id: string): Promise<WebSessionCall> {
  const principal = await requireWebPrincipal(request, deps);
  const ns = principal.namespace;
  const scope = { namespace: ns, requestId: request.id };
  const res = await deps.clients.session.call('getSession', { namespace: ns, id }, scope);
  if (!res.session) throw new AppError('not_found', 'Session not found');
  return { ns, scope, session: res.session };
}

/** Routes that need the CLI answer HAPI's 409 while the session is inactive. */
export function requireActive(session: Session): void {
  if (!session.active) throw new AppError('failed_precondition', 'Session is inactive', { details: { hapiCode: 'session_inactive' } });
}
