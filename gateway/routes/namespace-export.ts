import type { FastifyInstance } from 'fastify';
import { AppError } from '../../lib/errors.js';
import { isNamespace } from '../../lib/namespace.js';
import { namespaceContext } from '../../lib/context.js';
import type { GatewayDeps } from '../deps.js';
import { requireAdmin } from '../http/admin-auth.js';
import { requireWebCall } from '../http/web-auth.js';
import { sendNamespaceExport } from '../ops/namespace-export.js';

type Named = { Params: { name: string } };

/**
 * A namespace's whole data as JSON Lines: `GET /api/export` for a teammate's own namespace (the
 * web page's settings link, `teamhub export`), `GET /admin/v1/namespaces/:name/export` for the
 * admin and any namespace. HAPI's per-session export (`GET /api/sessions/:id/export`) is the
 * other, transcript-shaped one; this is the namespace's data to keep or move.
 */
export function registerNamespaceExportRoutes(app: FastifyInstance, deps: GatewayDeps): void {
  app.get('/api/export', async (request, reply) => {
    const { ctx } = await requireWebCall(request, deps);
    return sendNamespaceExport(reply, deps.clients, ctx);
  });

  app.get<Named>('/admin/v1/namespaces/:name/export', async (request, reply) => {
    const hub = await requireAdmin(request, deps, 'export-namespace');
    const name = request.params.name;
    if (!isNamespace(name)) throw new AppError('invalid_argument', 'Invalid namespace name');
    // The admin reads the namespace as the namespace itself would: the same calls, its context.
    const ctx = namespaceContext(hub.log, name, hub.requestId);
    ctx.log.info({ exportedBy: 'admin' }, 'admin export of a namespace');
    return sendNamespaceExport(reply, deps.clients, ctx);
  });
}
