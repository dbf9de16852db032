import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AdminAuditQuery, AdminCreateNamespaceBody, AdminTransferBody } from '../hapi/schemas.js';
import { toHapiMachine } from '../hapi/machine-view.js';
import { AppError } from '../../lib/errors.js';
import type { HubCallContext } from '../../lib/context.js';
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

/**
 * Hub administration under `/admin/v1`, guarded by the admin token. Each change writes one audit
 * row: namespace changes are recorded by the auth service that makes them; machine changes (the
 * machine service keeps no audit log) are recorded here, after they succeed.
 */
export function registerAdminRoutes(app: FastifyInstance, deps: GatewayDeps): void {
  /** Records a successful machine action; a failed record is logged, not thrown (the action happened). */
  async function auditMachineAction(ctx: HubCallContext, request: FastifyRequest, action: string, namespace: string | undefined, detail: string): Promise<void> {
    const entry = { id: '', at: Date.now(), action, namespace, clientAddr: clientAddrOf(request), outcome: 'ok', actor: 'admin', detail };
    await deps.clients.auth.call('recordAudit', { entry }, ctx).catch((err: unknown) => ctx.log.warn({ err: String(err), action }, 'admin audit record failed'));
  }

  app.get('/admin/v1/namespaces', async (request) => {
    const ctx = await requireAdmin(request, deps, 'list-namespaces');
    const res = await deps.clients.auth.call('listNamespaces', {}, ctx);
    return { namespaces: res.namespaces.map(toNamespaceJson) };
  });

  app.post('/admin/v1/namespaces', async (request) => {
    const ctx = await requireAdmin(request, deps, 'create-namespace');
    const body = parseOr400(AdminCreateNamespaceBody, request.body);
    return withToken(await deps.clients.auth.call('createNamespace', { name: body.name, label: body.label ?? '', clientAddr: clientAddrOf(request) }, ctx));
  });

  app.post<Named>('/admin/v1/namespaces/:name/rotate', async (request) => {
    const ctx = await requireAdmin(request, deps, 'rotate-namespace');
    return withToken(await deps.clients.auth.call('rotateNamespace', { name: request.params.name, clientAddr: clientAddrOf(request) }, ctx));
  });

  app.post<Named>('/admin/v1/namespaces/:name/revoke', async (request) => {
    const ctx = await requireAdmin(request, deps, 'revoke-namespace');
    const res = await deps.clients.auth.call('revokeNamespace', { name: request.params.name, clientAddr: clientAddrOf(request) }, ctx);
    return { namespace: toNamespaceJson(res.namespace) };
  });

  app.get('/admin/v1/audit', async (request) => {
    const ctx = await requireAdmin(request, deps, 'list-audit');
    const q = parseOr400(AdminAuditQuery, request.query, 'Invalid query');
    const res = await deps.clients.auth.call('listAudit', { namespace: q.namespace, limit: q.limit ?? DEFAULT_AUDIT_LIMIT, before: q.before }, ctx);
    return { entries: res.entries.map(toAuditJson) };
  });

  app.get('/admin/v1/machines', async (request) => {
    const ctx = await requireAdmin(request, deps, 'list-machines');
    const q = request.query as { namespace?: unknown };
    const namespace = typeof q.namespace === 'string' && q.namespace !== '' ? q.namespace : undefined;
    const res = await deps.clients.machine.call('adminListMachines', { namespace }, ctx);
    return { machines: res.machines.map(toHapiMachine) };
  });

  app.delete<ById>('/admin/v1/machines/:id', async (request) => {
    const ctx = await requireAdmin(request, deps, 'forget-machine');
    const res = await deps.clients.machine.call('adminForgetMachine', { id: request.params.id }, ctx);
    await auditMachineAction(ctx, request, 'machine_forget', undefined, `forget-machine ${request.params.id}`);
    return { forgotten: res.forgotten };
  });

  app.post<ById>('/admin/v1/machines/:id/transfer', async (request) => {
    const ctx = await requireAdmin(request, deps, 'transfer-machine');
    const body = parseOr400(AdminTransferBody, request.body);
    const res = await deps.clients.machine.call('adminTransferMachine', { id: request.params.id, toNamespace: body.namespace }, ctx);
    await auditMachineAction(ctx, request, 'machine_transfer', body.namespace, `transfer-machine ${request.params.id}`);
    if (!res.machine) throw new AppError('internal', 'machine service answered without a machine');
    return { machine: toHapiMachine(res.machine) };
  });
}
