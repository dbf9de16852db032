import { AppError } from '../../lib/errors.js';
import { isHubContext, type AnyCallContext } from '../../lib/context.js';
import { isNamespace, type Namespace } from '../../lib/namespace.js';
import { hubScoped, namespaced, namespacedOrHub, type ServiceHandlers } from '../../lib/grpc/server.js';
import type { AuthServiceService } from '../../lib/gen/teamhub/auth/v1/auth.js';
import type { CredentialService } from './domain.js';
import type { NamespaceAdmin } from './admin.js';
import type { AuditLog } from './audit.js';
import { toProtoAuditEntry, toProtoBinding, toProtoCredentialKind, toProtoLogin, toProtoNamespace } from './proto-map.js';

export interface AuthHandlerDeps {
  credentials: CredentialService;
  admin: NamespaceAdmin;
  audit: AuditLog;
}

function optionalNamespace(raw: string | undefined): Namespace | null {
  if (raw === undefined || raw === '') return null;
  if (!isNamespace(raw)) throw new AppError('invalid_argument', 'invalid namespace');
  return raw;
}

/** A namespaced call works in its own namespace; a hub-scoped one must name the namespace. */
function bindingsNamespace(ctx: AnyCallContext, raw: string | undefined): Namespace {
  if (!isHubContext(ctx)) return ctx.namespace;
  const ns = optionalNamespace(raw) ?? ctx.namespace;
  if (!ns) throw new AppError('invalid_argument', 'namespace is required');
  return ns;
}

/** gRPC handlers: proto in, domain call with the call's context, proto out. No rules live here. */
export function authHandlers(deps: AuthHandlerDeps): ServiceHandlers<typeof AuthServiceService> {
  const { credentials, admin, audit } = deps;
  return {
    resolveAccessToken: hubScoped(async (req, ctx) => {
      const res = await credentials.resolve(ctx, req.accessToken, req.clientAddr, req.surface);
      return { namespace: res.namespace, kind: toProtoCredentialKind(res.kind) };
    }),
    issueWebToken: hubScoped(async (req, ctx) => {
      const c = req.credential;
      if (!c) throw new AppError('invalid_argument', 'Invalid body');
      const cred = c.$case === 'accessToken' ? { accessToken: c.accessToken } : { initData: c.initData };
      return toProtoLogin(await credentials.issueWebToken(ctx, cred, req.clientAddr));
    }),
    bindTelegram: hubScoped(async (req, ctx) => toProtoLogin(await credentials.bindTelegram(ctx, req.initData, req.accessToken, req.clientAddr))),
    unbindTelegram: namespaced(async (req, ctx) => ({ unbound: await credentials.unbindTelegram(ctx, req.initData, req.clientAddr) })),
    getJwtVerifier: hubScoped(async (_req, ctx) => credentials.jwtVerifier(ctx)),
    revokeWebToken: namespaced(async (req, ctx) => {
      await credentials.revokeWebToken(ctx, req.jti, req.expiresAt, req.clientAddr);
      return {};
    }),
    checkAdminToken: hubScoped(async (req, ctx) => {
      await credentials.checkAdminToken(ctx, req.adminToken, req.clientAddr, req.action);
      return {};
    }),
    createNamespace: hubScoped(async (req, ctx) => {
      const res = await admin.create(ctx, req.name, req.label, req.clientAddr);
      return { namespace: toProtoNamespace(res.namespace), token: res.token };
    }),
    listNamespaces: hubScoped(async (_req, ctx) => ({ namespaces: (await admin.list(ctx)).map(toProtoNamespace) })),
    rotateNamespace: hubScoped(async (req, ctx) => {
      const res = await admin.rotate(ctx, req.name, req.clientAddr);
      return { namespace: toProtoNamespace(res.namespace), token: res.token };
    }),
    revokeNamespace: hubScoped(async (req, ctx) => ({ namespace: toProtoNamespace(await admin.revoke(ctx, req.name, req.clientAddr)) })),
    recordAudit: namespacedOrHub(async (req, ctx) => {
      const e = req.entry;
      if (!e || !e.action) throw new AppError('invalid_argument', 'audit entry with an action is required');
      let ns = optionalNamespace(e.namespace);
      if (!isHubContext(ctx)) {
        if (ns !== null && ns !== ctx.namespace) throw new AppError('permission_denied', 'namespace mismatch between entry and metadata');
        ns = ctx.namespace;
      }
      await audit.record({ action: e.action, namespace: ns, clientAddr: e.clientAddr, outcome: e.outcome || 'ok', actor: e.actor, detail: e.detail });
      return {};
    }),
    listAudit: namespacedOrHub(async (req, ctx) => {
      const ns = isHubContext(ctx) ? (optionalNamespace(req.namespace) ?? ctx.namespace ?? null) : ctx.namespace;
      const entries = await audit.list(ns, req.limit, req.before);
      return { entries: entries.map(toProtoAuditEntry) };
    }),
    listTelegramRecipients: namespaced(async (_req, ctx) => ({ telegramUserIds: await credentials.listTelegramRecipients(ctx) })),
    getTelegramBinding: hubScoped(async (req, ctx) => ({ namespace: (await credentials.telegramBinding(ctx, req.telegramUserId)) ?? undefined })),
    getHubInfo: hubScoped(async () => credentials.hubInfo()),
    // The namespace's owner sees and removes its own bindings; the admin (hub scope) names one.
    listTelegramBindings: namespacedOrHub(async (req, ctx) => {
      const ns = bindingsNamespace(ctx, req.namespace);
      return { bindings: (await credentials.listTelegramBindings(ctx, ns)).map(toProtoBinding) };
    }),
    removeTelegramBinding: namespacedOrHub(async (req, ctx) => {
      const ns = bindingsNamespace(ctx, req.namespace);
      const actor = isHubContext(ctx) ? 'admin' : 'namespace-owner';
      return { removed: await credentials.removeTelegramBinding(ctx, ns, req.telegramUserId, req.clientAddr, actor) };
    }),
  };
}
