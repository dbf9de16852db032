import { AppError } from '../../lib/errors.js';
import { isNamespace, type Namespace } from '../../lib/namespace.js';
import { hubScoped, namespaced, namespacedOrHub, service, type ServiceRegistration } from '../../lib/grpc/server.js';
import {
  AuthServiceService,
  CredentialKind,
  type AuditEntry,
  type IssueWebTokenResponse,
  type NamespaceInfo,
} from '../../lib/gen/teamhub/auth/v1/auth.js';
import type { CredentialService, WebLogin } from './domain.js';
import type { NamespaceAdmin } from './admin.js';
import type { AuditLog } from './audit.js';
import type { AuditRecord, NamespaceRecord } from './store.js';

export interface AuthHandlerDeps {
  credentials: CredentialService;
  admin: NamespaceAdmin;
  audit: AuditLog;
}

function toInfo(r: NamespaceRecord): NamespaceInfo {
  return {
    name: r.name,
    label: r.label,
    createdAt: r.createdAt,
    lastUsedAt: r.lastUsedAt ?? undefined,
    revoked: r.revoked,
    rotatedAt: r.rotatedAt ?? undefined,
  };
}

function toEntry(r: AuditRecord): AuditEntry {
  return {
    id: r.id,
    at: r.at,
    action: r.action,
    namespace: r.namespace ?? undefined,
    clientAddr: r.clientAddr,
    outcome: r.outcome,
    actor: r.actor,
    detail: r.detail,
  };
}

function toLogin(l: WebLogin): IssueWebTokenResponse {
  return { token: l.token, namespace: l.namespace, user: l.user };
}

function optionalNamespace(raw: string | undefined): Namespace | null {
  if (raw === undefined || raw === '') return null;
  if (!isNamespace(raw)) throw new AppError('invalid_argument', 'invalid namespace');
  return raw;
}

/** Thin gRPC handlers: map protos to domain calls and back; no rules live here. */
export function authHandlers(deps: AuthHandlerDeps): ServiceRegistration<typeof AuthServiceService> {
  const { credentials, admin, audit } = deps;
  return service(AuthServiceService, {
    resolveAccessToken: hubScoped(async (req) => {
      const res = await credentials.resolve(req.accessToken, req.clientAddr, req.surface);
      const kind = res.kind === 'base' ? CredentialKind.CREDENTIAL_KIND_BASE : CredentialKind.CREDENTIAL_KIND_NAMESPACE_TOKEN;
      return { namespace: res.namespace, kind };
    }),
    issueWebToken: hubScoped(async (req) => {
      const c = req.credential;
      if (!c) throw new AppError('invalid_argument', 'Invalid body');
      const cred = c.$case === 'accessToken' ? { accessToken: c.accessToken } : { initData: c.initData };
      return toLogin(await credentials.issueWebToken(cred, req.clientAddr));
    }),
    bindTelegram: hubScoped(async (req) => toLogin(await credentials.bindTelegram(req.initData, req.accessToken, req.clientAddr))),
    unbindTelegram: namespaced(async (req, ctx) => ({
      unbound: await credentials.unbindTelegram(ctx.namespace, req.initData, req.clientAddr),
    })),
    getJwtVerifier: hubScoped(async () => credentials.jwtVerifier()),
    revokeWebToken: namespaced(async (req, ctx) => {
      await credentials.revokeWebToken(ctx.namespace, req.jti, req.expiresAt, req.clientAddr);
      return {};
    }),
    checkAdminToken: hubScoped(async (req) => {
      await credentials.checkAdminToken(req.adminToken, req.clientAddr, req.action);
      return {};
    }),
    createNamespace: hubScoped(async (req) => {
      const res = await admin.create(req.name, req.label, req.clientAddr);
      return { namespace: toInfo(res.namespace), token: res.token };
    }),
    listNamespaces: hubScoped(async () => ({ namespaces: (await admin.list()).map(toInfo) })),
    rotateNamespace: hubScoped(async (req) => {
      const res = await admin.rotate(req.name, req.clientAddr);
      return { namespace: toInfo(res.namespace), token: res.token };
    }),
    revokeNamespace: hubScoped(async (req) => ({ namespace: toInfo(await admin.revoke(req.name, req.clientAddr)) })),
    recordAudit: namespacedOrHub(async (req, ctx) => {
      const e = req.entry;
      if (!e || !e.action) throw new AppError('invalid_argument', 'audit entry with an action is required');
      let ns = optionalNamespace(e.namespace);
      if (!ctx.hub) {
        if (ns !== null && ns !== ctx.namespace) throw new AppError('permission_denied', 'namespace mismatch between entry and metadata');
        ns = ctx.namespace;
      }
      await audit.record({ action: e.action, namespace: ns, clientAddr: e.clientAddr, outcome: e.outcome || 'ok', actor: e.actor, detail: e.detail });
      return {};
    }),
    listAudit: namespacedOrHub(async (req, ctx) => {
      const ns = ctx.hub ? (optionalNamespace(req.namespace) ?? ctx.namespace) : ctx.namespace;
      const entries = await audit.list(ns, req.limit, req.before);
      return { entries: entries.map(toEntry) };
    }),
    listTelegramRecipients: namespaced(async (_req, ctx) => ({ telegramUserIds: await credentials.listTelegramRecipients(ctx.namespace) })),
    getHubInfo: hubScoped(async () => credentials.hubInfo()),
  });
}
