import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AdminAuditQuery, AdminCreateNamespaceBody, AdminTransferBody } from '../../lib/hapi/schemas.js';
import { toHapiMachine } from '../../lib/hapi/machine-view.js';
import { AppError } from '../../lib/errors.js';
import type { NamespaceInfo, NamespaceTokenResponse } from '../../lib/gen/teamhub/auth/v1/auth.js';
import type { GatewayDeps } from '../deps.js';
import { requireAdmin } from '../http/admin-auth.js';
import { clientAddrOf } from '../http/auth-header.js';
import { parseOr400 } from '../http/validate.js';
import { DEFAULT_AUDIT_LIMIT, toAuditJson } from './audit.js';

type Named = { Params: { name: string } };
type ById = { Params: { id: string } };

function toNamespaceJson(n: NamespaceInfo | undefined): Record<string, unknown> {
  if (!n) throw new AppError('internal', 'auth service answered without a namespace');
  return { name: n.name, label: n.label, createdAt: n.createdAt, lastUsedAt: n.lastUsedAt ?? null, revoked: n.revoked, rotatedAt: n.rotatedAt ?? null };
}

const withToken = (res: NamespaceTokenResponse) => ({ namespace: toNamespaceJson(res.namespace), token: res.token });

/** Hub administration under `/admin/v1`, guarded by the admin token; every action is audited. */
export function registerAdminRoutes(app: FastifyInstance, deps: GatewayDeps): void {
  const hub = (request: FastifyRequest) => ({ hub: true as const, requestId: request.id });

  /** Records a successful admin action; a failed record is logged, not thrown (the action happened). */
  async function audit(request: FastifyRequest, action: string, namespace: string | undefined, detail: string): Promise<void> {
    const entry = { id: '', at: Date.now(), action: 'admin', namespace, clientAddr: clientAddrOf(request), outcome: 'ok', actor: 'admin', detail: `${action} ${detail}`.trim() };
    await deps.clients.auth.call('recordAudit', { entry }, hub(request)).catch((err: unknown) => request.log.warn({ err: String(err), action }, 'admin audit record failed'));
  }

  app.get('/admin/v1/namespaces', async (request) => {
    await requireAdmin(request, deps, 'list-namespaces');
    const res = await deps.clients.auth.call('listNamespaces', {}, hub(request));
    return { namespaces: res.namespaces.map(toNamespaceJson) };
  });

  app.post('/admin/v1/namespaces', async (request) => {
    await requireAdmin(request, deps, 'create-namespace');
    const body = parseOr400(AdminCreateNamespaceBody, request.body);
    const res = await deps.clients.auth.call('createNamespace', { name: body.name, label: body.label ?? '', clientAddr: clientAddrOf(request) }, hub(request));
    await audit(request, 'create-namespace', body.name, '');
    return withToken(res);
  });

  app.post<Named>('/admin/v1/namespaces/:name/rotate', async (request) => {
    await requireAdmin(request, deps, 'rotate-namespace');
    const res = await deps.clients.auth.call('rotateNamespace', { name: request.params.name, clientAddr: clientAddrOf(request) }, hub(request));
    await audit(request, 'rotate-namespace', request.params.name, '');
    return withToken(res);
  });

  app.post<Named>('/admin/v1/namespaces/:name/revoke', async (request) => {
    await requireAdmin(request, deps, 'revoke-namespace');
    const res = await deps.clients.auth.call('revokeNamespace', { name: request.params.name, clientAddr: clientAddrOf(request) }, hub(request));
    await audit(request, 'revoke-namespace', request.params.name, '');
    return { namespace: toNamespaceJson(res.namespace) };
  });

  app.get('/admin/v1/audit', async (request) => {
    await requireAdmin(request, deps, 'list-audit');
    const q = parseOr400(AdminAuditQuery, request.query, 'Invalid query');
    const res = await deps.clients.auth.call('listAudit', { namespace: q.namespace, limit: q.limit ?? DEFAULT_AUDIT_LIMIT, before: q.before }, hub(request));
    return { entries: res.entries.map(toAuditJson) };
  });

  app.get('/admin/v1/machines', async (request) => {
    await requireAdmin(request, deps, 'list-machines');
    const q = request.query as { namespace?: unknown };
    const namespace = typeof q.namespace === 'string' && q.namespace !== '' ? q.namespace : undefined;
    const res = await deps.clients.machine.call('adminListMachines', { namespace }, hub(request));
    return { machines: res.machines.map(toHapiMachine) };
  });

  app.delete<ById>('/admin/v1/machines/:id', async (request) => {
    await requireAdmin(request, deps, 'forget-machine');
    const res = await deps.clients.machine.call('adminForgetMachine', { id: request.params.id }, hub(request));
    await audit(request, 'forget-machine', undefined, request.params.id);
    return { forgotten: res.forgotten };
  });

  app.post<ById>('/admin/v1/machines/:id/transfer', async (request) => {
    await requireAdmin(request, deps, 'transfer-machine');
    const body = parseOr400(AdminTransferBody, request.body);
    const res = await deps.clients.machine.call('adminTransferMachine', { id: request.params.id, toNamespace: body.namespace }, hub(request));
    await audit(request, 'transfer-machine', body.namespace, request.params.id);
    if (!res.machine) throw new AppError('internal', 'machine service answered without a machine');
    return { machine: toHapiMachine(res.machine) };
  });
}
