import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../lib/errors.js';
import { fromJsonText } from '../../lib/json.js';
import { ApproveBody, DenyBody, isPermissionModeAllowed } from '../hapi/session-rules.js';
import { parseOr400 } from '../http/validate.js';
import { requireActive, requireWebSession } from './api-sessions-guard.js';
import type { LiveRouteDeps } from './route-deps.js';
import { flavorOf } from './session-metadata.js';

type Params = { Params: { id: string; requestId: string } };

function hasRequest(agentStateJson: string | undefined, requestId: string): boolean {
  const state = fromJsonText(agentStateJson);
  if (typeof state !== 'object' || state === null) return false;
  const requests = (state as { requests?: unknown }).requests;
  return typeof requests === 'object' && requests !== null && Object.prototype.hasOwnProperty.call(requests, requestId);
}

/**
 * `POST /api/sessions/:id/permissions/:requestId/approve|deny`, relayed as the CLI's `permission`
 * RPC to whichever replica holds its socket. The session must be active and the request pending.
 */
export function registerApiPermissionRoutes(app: FastifyInstance, deps: LiveRouteDeps): void {
  // HAPI's order: live session (409), then for approve the body (400) before the request (404)
  // and the mode against the session's agent (400); for deny the request before the body.
  const handle = (approved: boolean) => async (request: FastifyRequest<Params>) => {
    const { ctx, session } = await requireWebSession(request, deps, request.params.id);
    requireActive(session);
    const requestId = request.params.requestId;
    const body = approved ? parseOr400(ApproveBody, request.body ?? {}) : null;
    if (!hasRequest(session.agentStateJson, requestId)) throw new AppError('not_found', 'Request not found');
    const deny = approved ? null : parseOr400(DenyBody, request.body ?? {});
    if (body?.mode !== undefined && !isPermissionModeAllowed(body.mode, flavorOf(session))) {
      throw new AppError('invalid_argument', 'Invalid permission mode for session flavor');
    }
    await deps.live.rpcCall(ctx.namespace, session.id, 'permission', { id: requestId, approved, ...(body ?? deny ?? {}) });
    return { ok: true };
  };
  app.post<Params>('/api/sessions/:id/permissions/:requestId/approve', handle(true));
  app.post<Params>('/api/sessions/:id/permissions/:requestId/deny', handle(false));
}
