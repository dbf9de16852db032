import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { TelegramBindingInfo } from '../../lib/gen/teamhub/auth/v1/auth.js';
import type { GatewayDeps } from '../deps.js';
import { requireAdmin } from '../http/admin-auth.js';
import { clientAddrOf } from '../http/auth-header.js';
import { requireWebCall } from '../http/web-auth.js';
import { parseOr400 } from '../http/validate.js';

const UserParam = z.object({ telegramUserId: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER) });

type UserParams = { Params: { telegramUserId: string } };
type NamespaceUserParams = { Params: { name: string; telegramUserId: string } };
type NamespaceParams = { Params: { name: string } };

function toBindingJson(b: TelegramBindingInfo): Record<string, unknown> {
  return { telegramUserId: b.telegramUserId, namespace: b.namespace, createdAt: b.createdAt };
}

/**
 * Telegram accounts bound to a namespace (beyond HAPI, which has no way to see or undo a
 * binding): the namespace's owner lists and removes its own (`/api/telegram/bindings`, web JWT),
 * the admin any namespace's (`/admin/v1/namespaces/:name/telegram-bindings`). A rotate or revoke
 * removes them all by itself.
 */
export function registerTelegramBindingRoutes(app: FastifyInstance, deps: GatewayDeps): void {
  app.get('/api/telegram/bindings', async (request) => {
    const { ctx } = await requireWebCall(request, deps);
    const res = await deps.clients.auth.call('listTelegramBindings', {}, ctx);
    return { bindings: res.bindings.map(toBindingJson) };
  });

  app.delete<UserParams>('/api/telegram/bindings/:telegramUserId', async (request) => {
    const { ctx } = await requireWebCall(request, deps);
    const { telegramUserId } = parseOr400(UserParam, request.params, 'Invalid telegramUserId');
    const res = await deps.clients.auth.call('removeTelegramBinding', { telegramUserId, clientAddr: clientAddrOf(request) }, ctx);
    return { removed: res.removed };
  });

  app.get<NamespaceParams>('/admin/v1/namespaces/:name/telegram-bindings', async (request) => {
    const ctx = await requireAdmin(request, deps, 'list-telegram-bindings');
    const res = await deps.clients.auth.call('listTelegramBindings', { namespace: request.params.name }, ctx);
    return { bindings: res.bindings.map(toBindingJson) };
  });

  app.delete<NamespaceUserParams>('/admin/v1/namespaces/:name/telegram-bindings/:telegramUserId', async (request) => {
    const ctx = await requireAdmin(request, deps, 'remove-telegram-binding');
    const { telegramUserId } = parseOr400(UserParam, request.params, 'Invalid telegramUserId');
    const res = await deps.clients.auth.call('removeTelegramBinding', { namespace: request.params.name, telegramUserId, clientAddr: clientAddrOf(request) }, ctx);
    return { removed: res.removed };
  });
}
