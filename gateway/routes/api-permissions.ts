import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AppError } from '../../lib/errors.js';
import { fromJsonText } from '../../lib/json.js';
import type { GatewayDeps } from '../deps.js';
import { parseOr400 } from '../http/validate.js';
import { requireActive, requireWebSession, type RpcCall } from './api-sessions-guard.js';

type Params = { Params: { id: string; requestId: string } };

const ApproveBody = z
  .object({
    mode: z.string().optional(),
    allowTools: z.array(z.string()).optional(),
    decision: z.string().optional(),
    answers: z.unknown().optional(),
  })
  .optional();
const DenyBody = z.object({ decision: z.string().optional() }).optional();

function hasRequest(agentStateJson: string | undefined, requestId: string): boolean {
  const state = fromJsonText(agentStateJson);
  if (typeof state !== 'object' || state === null) return false;
  const requests = (state as { requests?: unknown }).requests;
  return typeof requests === 'object' && requests !== null && Object.prototype.hasOwnProperty.call(requests, requestId);
}

/** `POST /api/sessions/:id/permissions/:requestId/approve|deny`, relayed as the CLI's `permission` RPC (§3.7 C). */
export function registerApiPermissionRoutes(app: FastifyInstance, deps: GatewayDeps, rpc: RpcCall): void {
  const handle = (approved: boolean) => async (request: FastifyRequest<Params>) => {
    const { ns, session } = await requireWebSession(request, deps, request.params.id);
    const body = approved ? parseOr400(ApproveBody, request.body) : parseOr400(DenyBody, request.body);
    requireActive(session);
    const requestId = request.params.requestId;
    if (!hasRequest(session.agentStateJson, requestId)) throw new AppError('not_found', 'Request not found');
    await rpc(ns, session.id, 'permission', { id: requestId, approved, ...(body ?? {}) });
    return { ok: true };
  };
  app.post<Params>('/api/sessions/:id/permissions/:requestId/approve', handle(true));
  app.post<Params>('/api/sessions/:id/permissions/:requestId/deny', handle(false));
}
