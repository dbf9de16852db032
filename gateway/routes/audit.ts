import type { FastifyInstance } from 'fastify';
import { AuditQuery } from '../hapi/schemas.js';
import type { AuditEntry } from '../../lib/gen/teamhub/auth/v1/auth.js';
import type { GatewayDeps } from '../deps.js';
import { requireWebCall } from '../http/web-auth.js';
import { parseOr400 } from '../http/validate.js';

export const DEFAULT_AUDIT_LIMIT = 100;

/** One audit entry as JSON (absent namespace → null). */
export function toAuditJson(e: AuditEntry): Record<string, unknown> {
  return {
    id: e.id,
    at: e.at,
    action: e.action,
    namespace: e.namespace ?? null,
    clientAddr: e.clientAddr,
    outcome: e.outcome,
    actor: e.actor,
    detail: e.detail,
  };
}

/** `GET /api/audit?limit&before`: the caller's own namespace's entries, newest first. */
export function registerAuditRoutes(app: FastifyInstance, deps: GatewayDeps): void {
  app.get('/api/audit', async (request) => {
    const { ctx } = await requireWebCall(request, deps);
    const q = parseOr400(AuditQuery, request.query, 'Invalid query');
    const res = await deps.clients.auth.call('listAudit', { limit: q.limit ?? DEFAULT_AUDIT_LIMIT, before: q.before }, ctx);
    return { entries: res.entries.map(toAuditJson) };
  });
}
