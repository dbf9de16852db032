import { CredentialKind, type AuditEntry, type IssueWebTokenResponse, type NamespaceInfo, type TelegramBindingInfo } from '../../lib/gen/teamhub/auth/v1/auth.js';
import type { CredentialKind as DomainCredentialKind, WebLogin } from './domain.js';
import type { AuditRecord, NamespaceRecord, TelegramBinding } from './store.js';

/** Stored namespace → proto NamespaceInfo (the token hash never leaves the service). */
export function toProtoNamespace(r: NamespaceRecord): NamespaceInfo {
  return {
    name: r.name,
    label: r.label,
    createdAt: r.createdAt,
    lastUsedAt: r.lastUsedAt ?? undefined,
    revoked: r.revoked,
    rotatedAt: r.rotatedAt ?? undefined,
  };
}

export function toProtoAuditEntry(r: AuditRecord): AuditEntry {
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

export function toProtoLogin(l: WebLogin): IssueWebTokenResponse {
  return { token: l.token, namespace: l.namespace, user: l.user };
}

export function toProtoCredentialKind(kind: DomainCredentialKind): CredentialKind {
  return kind === 'base' ? CredentialKind.CREDENTIAL_KIND_BASE : CredentialKind.CREDENTIAL_KIND_NAMESPACE_TOKEN;
}

export function toProtoBinding(b: TelegramBinding): TelegramBindingInfo {
  return { telegramUserId: b.telegramUserId, namespace: b.namespace, createdAt: b.createdAt };
}
