import type { Namespace } from '../../lib/namespace.js';

/**
 * The auth service's store: one interface, two implementations (SQLite on one machine, MongoDB
 * in containers), both run against the same contract tests. Namespaced data (audit, Telegram
 * bindings, revocations) takes `ns` first and filters on it. Hub-wide data (secrets, the
 * namespace registry, throttle counters) is not namespaced by nature.
 */

/** Hub secrets, generated once and shared by every replica. */
export interface HubSecretsRecord {
  baseToken: string;
  adminToken: string;
  /** base64url of 32 random bytes. */
  jwtKey: string;
  internalSecret: string;
  /** Random positive 31-bit int: the JWT `uid`. */
  ownerId: number;
  createdAt: number;
}

export interface NamespaceRecord {
  name: Namespace;
  label: string;
  /** hex SHA-256 of the namespace token; the token itself is never stored. */
  tokenHash: string;
  createdAt: number;
  lastUsedAt: number | null;
  rotatedAt: number | null;
  revoked: boolean;
}

/** Failed-credential counter for one client address (fixed window), updated by CAS on `version`. */
export interface ThrottleRecord {
  addr: string;
  count: number;
  windowStart: number;
  version: number;
}

export interface AuditRecord {
  id: string;
  at: number;
  action: string;
  /** null: a hub-level entry (failed logins, admin actions without a namespace). */
  namespace: Namespace | null;
  clientAddr: string;
  outcome: string;
  actor: string;
  detail: string;
}

export interface RevokedJtiRecord {
  namespace: Namespace;
  jti: string;
  expiresAt: number;
}

export interface TelegramBinding {
  namespace: Namespace;
  telegramUserId: number;
  createdAt: number;
}

/** What `prune` removes: everything older than these cut-offs, and the oldest audit rows past `auditKeep`. */
export interface PruneCutoffs {
  /** Revoked jtis whose token expired before this (seconds). */
  jtiExpiredBeforeSec: number;
  /** Throttle counters whose window started before this (ms): their window is over. */
  throttleStartedBefore: number;
  /** Trusted client/credential pairs last confirmed before this (ms). */
  trustBefore: number;
  /** Audit rows older than this (ms). */
  auditBefore: number;
  /** At most this many audit rows are kept (the newest). */
  auditKeep: number;
}

export interface PruneCounts {
  jtis: number;
  throttles: number;
  trust: number;
  audit: number;
}

export interface AuthStore {
  /** Inserts `candidate` when no secrets exist yet, then returns what is stored (race-safe). */
  getOrCreateSecrets(candidate: HubSecretsRecord): Promise<HubSecretsRecord>;

  /** Throws AppError('already_exists') when the name is taken. */
  createNamespace(rec: NamespaceRecord): Promise<void>;
  getNamespace(name: Namespace): Promise<NamespaceRecord | null>;
  listNamespaces(): Promise<NamespaceRecord[]>;
  /** Which registered namespace holds this token hash (revoked ones included; the caller checks). */
  findNamespaceByTokenHash(tokenHash: string): Promise<NamespaceRecord | null>;
  /** Sets a new token hash and clears `revoked`; false when the namespace does not exist. */
  rotateNamespaceToken(name: Namespace, tokenHash: string, at: number): Promise<boolean>;
  /** Marks revoked; false when the namespace does not exist. */
  revokeNamespace(name: Namespace, at: number): Promise<boolean>;
  touchNamespace(name: Namespace, at: number): Promise<void>;

  getThrottle(addr: string): Promise<ThrottleRecord | null>;
  /**
   * Writes `next` when the stored version equals `expectedVersion` (null: no record yet).
   * Stores `version = expectedVersion + 1` (or 1). Returns false on a lost race.
   */
  casThrottle(addr: string, expectedVersion: number | null, next: { count: number; windowStart: number }): Promise<boolean>;

  /** When a credential last succeeded from a client (the key is a hash of both), or null. */
  getTrust(key: string): Promise<number | null>;
  putTrust(key: string, at: number): Promise<void>;

  appendAudit(rec: AuditRecord): Promise<void>;
  /** Newest first; `ns` null lists every namespace (hub scope); `before` is an exclusive `at` cursor. */
  listAudit(ns: Namespace | null, opts: { limit: number; before?: number }): Promise<AuditRecord[]>;

  revokeJti(ns: Namespace, jti: string, expiresAt: number): Promise<void>;
  /** Revoked jtis with expiresAt (seconds) > nowSec. */
  listRevokedJtis(nowSec: number): Promise<RevokedJtiRecord[]>;
  setRevokedBefore(ns: Namespace, sec: number): Promise<void>;
  listRevokedBefore(): Promise<Record<string, number>>;

  getTelegramBinding(telegramUserId: number): Promise<TelegramBinding | null>;
  /** Inserts, or returns the existing binding (whichever namespace) when the user is already bound. */
  bindTelegram(ns: Namespace, telegramUserId: number, at: number): Promise<TelegramBinding>;
  /** Removes the binding only when it belongs to `ns`. */
  unbindTelegram(ns: Namespace, telegramUserId: number): Promise<boolean>;
  listTelegramRecipients(ns: Namespace): Promise<number[]>;
  /** The namespace's bindings, oldest first. */
  listTelegramBindings(ns: Namespace): Promise<TelegramBinding[]>;
  /** Removes every binding of the namespace (its credentials were cut); returns how many. */
  deleteTelegramBindings(ns: Namespace): Promise<number>;

  /** Deletes what no longer matters (expired revocations, finished throttle windows, old audit rows). */
  prune(cutoffs: PruneCutoffs): Promise<PruneCounts>;
  close(): Promise<void>;
}
