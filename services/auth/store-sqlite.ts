import { openSqlite, isSqliteUniqueViolation, type SqliteDb } from '../../lib/store/sqlite.js';
import { AppError } from '../../lib/errors.js';
import type { Namespace } from '../../lib/namespace.js';
import type {
  AuditRecord,
  AuthStore,
  HubSecretsRecord,
  NamespaceRecord,
  RevokedJtiRecord,
  TelegramBinding,
  ThrottleRecord,
} from './store.js';

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS secrets (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    doc TEXT NOT NULL
  );
  CREATE TABLE IF NOT EXISTS namespaces (
    name TEXT PRIMARY KEY,
    label TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    last_used_at INTEGER,
    rotated_at INTEGER,
    revoked INTEGER NOT NULL
  );
  CREATE TABLE IF NOT EXISTS throttles (
    addr TEXT PRIMARY KEY,
    count INTEGER NOT NULL,
    window_start INTEGER NOT NULL,
    version INTEGER NOT NULL
  );
  CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    at INTEGER NOT NULL,
    action TEXT NOT NULL,
    namespace TEXT,
    client_addr TEXT NOT NULL,
    outcome TEXT NOT NULL,
    actor TEXT NOT NULL,
    detail TEXT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS audit_ns_at ON audit (namespace, at DESC);
  CREATE INDEX IF NOT EXISTS audit_at ON audit (at DESC);
  CREATE TABLE IF NOT EXISTS revoked_jtis (
    jti TEXT PRIMARY KEY,
    namespace TEXT NOT NULL,
    expires_at INTEGER NOT NULL
  );
  CREATE TABLE IF NOT EXISTS revoked_before (
    namespace TEXT PRIMARY KEY,
    sec INTEGER NOT NULL
  );
  CREATE TABLE IF NOT EXISTS telegram_bindings (
    telegram_user_id INTEGER PRIMARY KEY,
    namespace TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );
  CREATE INDEX IF NOT EXISTS telegram_ns ON telegram_bindings (namespace);
`;

interface NamespaceRow {
  name: string;
  label: string;
  token_hash: string;
  created_at: number;
  last_used_at: number | null;
  rotated_at: number | null;
  revoked: number;
}

interface AuditRow {
  id: string;
  at: number;
  action: string;
  namespace: string | null;
  client_addr: string;
  outcome: string;
  actor: string;
  detail: string;
}

function toNamespace(r: NamespaceRow): NamespaceRecord {
  return {
    name: r.name as Namespace,
    label: r.label,
    tokenHash: r.token_hash,
    createdAt: r.created_at,
    lastUsedAt: r.last_used_at,
    rotatedAt: r.rotated_at,
    revoked: r.revoked === 1,
  };
}

function toAudit(r: AuditRow): AuditRecord {
  return {
    id: r.id,
    at: r.at,
    action: r.action,
    namespace: r.namespace as Namespace | null,
    clientAddr: r.client_addr,
    outcome: r.outcome,
    actor: r.actor,
    detail: r.detail,
  };
}

/** The auth service's SQLite file (one machine). */
export class SqliteAuthStore implements AuthStore {
  constructor(private readonly db: SqliteDb) {
    this.db.exec(SCHEMA);
  }

  static open(file: string): SqliteAuthStore {
    return new SqliteAuthStore(openSqlite(file));
  }

  close(): void {
    this.db.close();
  }

  async getOrCreateSecrets(candidate: HubSecretsRecord): Promise<HubSecretsRecord> {
    this.db.prepare('INSERT OR IGNORE INTO secrets (id, doc) VALUES (1, ?)').run(JSON.stringify(candidate));
    const row = this.db.prepare('SELECT doc FROM secrets WHERE id = 1').get() as { doc: string };
    return JSON.parse(row.doc) as HubSecretsRecord;
  }

  async createNamespace(rec: NamespaceRecord): Promise<void> {
    try {
      this.db
        .prepare('INSERT INTO namespaces (name, label, token_hash, created_at, last_used_at, rotated_at, revoked) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(rec.name, rec.label, rec.tokenHash, rec.createdAt, rec.lastUsedAt, rec.rotatedAt, rec.revoked ? 1 : 0);
    } catch (err) {
      if (isSqliteUniqueViolation(err)) throw new AppError('already_exists', 'namespace already exists', { cause: err });
      throw err;
    }
  }

  async getNamespace(name: Namespace): Promise<NamespaceRecord | null> {
    const r = this.db.prepare('SELECT * FROM namespaces WHERE name = ?').get(name) as NamespaceRow | undefined;
    return r ? toNamespace(r) : null;
  }

  async listNamespaces(): Promise<NamespaceRecord[]> {
    return (this.db.prepare('SELECT * FROM namespaces ORDER BY created_at, name').all() as NamespaceRow[]).map(toNamespace);
  }

  async findNamespaceByTokenHash(tokenHash: string): Promise<NamespaceRecord | null> {
    const r = this.db.prepare('SELECT * FROM namespaces WHERE token_hash = ?').get(tokenHash) as NamespaceRow | undefined;
    return r ? toNamespace(r) : null;
  }

  async rotateNamespaceToken(name: Namespace, tokenHash: string, at: number): Promise<boolean> {
    const res = this.db.prepare('UPDATE namespaces SET token_hash = ?, rotated_at = ?, revoked = 0 WHERE name = ?').run(tokenHash, at, name);
    return res.changes === 1;
  }

  async revokeNamespace(name: Namespace, at: number): Promise<boolean> {
    const res = this.db.prepare('UPDATE namespaces SET revoked = 1, rotated_at = ? WHERE name = ?').run(at, name);
    return res.changes === 1;
  }

  async touchNamespace(name: Namespace, at: number): Promise<void> {
    this.db.prepare('UPDATE namespaces SET last_used_at = ? WHERE name = ?').run(at, name);
  }

  async getThrottle(addr: string): Promise<ThrottleRecord | null> {
    const r = this.db.prepare('SELECT * FROM throttles WHERE addr = ?').get(addr) as
      | { addr: string; count: number; window_start: number; version: number }
      | undefined;
    return r ? { addr: r.addr, count: r.count, windowStart: r.window_start, version: r.version } : null;
  }

  async casThrottle(addr: string, expectedVersion: number | null, next: { count: number; windowStart: number }): Promise<boolean> {
    if (expectedVersion === null) {
      const res = this.db
        .prepare('INSERT OR IGNORE INTO throttles (addr, count, window_start, version) VALUES (?, ?, ?, 1)')
        .run(addr, next.count, next.windowStart);
      return res.changes === 1;
    }
    const res = this.db
      .prepare('UPDATE throttles SET count = ?, window_start = ?, version = version + 1 WHERE addr = ? AND version = ?')
      .run(next.count, next.windowStart, addr, expectedVersion);
    return res.changes === 1;
  }

  async appendAudit(rec: AuditRecord): Promise<void> {
    this.db
      .prepare('INSERT INTO audit (id, at, action, namespace, client_addr, outcome, actor, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(rec.id, rec.at, rec.action, rec.namespace, rec.clientAddr, rec.outcome, rec.actor, rec.detail);
  }

  async listAudit(ns: Namespace | null, opts: { limit: number; before?: number }): Promise<AuditRecord[]> {
    const before = opts.before ?? Number.MAX_SAFE_INTEGER;
    const rows =
      ns === null
        ? this.db.prepare('SELECT * FROM audit WHERE at < ? ORDER BY at DESC, seq DESC LIMIT ?').all(before, opts.limit)
        : this.db.prepare('SELECT * FROM audit WHERE namespace = ? AND at < ? ORDER BY at DESC, seq DESC LIMIT ?').all(ns, before, opts.limit);
    return (rows as AuditRow[]).map(toAudit);
  }

  async revokeJti(ns: Namespace, jti: string, expiresAt: number): Promise<void> {
    this.db.prepare('INSERT OR IGNORE INTO revoked_jtis (jti, namespace, expires_at) VALUES (?, ?, ?)').run(jti, ns, expiresAt);
  }

  async listRevokedJtis(nowSec: number): Promise<RevokedJtiRecord[]> {
    const rows = this.db.prepare('SELECT * FROM revoked_jtis WHERE expires_at > ?').all(nowSec) as { jti: string; namespace: string; expires_at: number }[];
    return rows.map((r) => ({ jti: r.jti, namespace: r.namespace as Namespace, expiresAt: r.expires_at }));
  }

  async setRevokedBefore(ns: Namespace, sec: number): Promise<void> {
    this.db
      .prepare('INSERT INTO revoked_before (namespace, sec) VALUES (?, ?) ON CONFLICT(namespace) DO UPDATE SET sec = MAX(sec, excluded.sec)')
      .run(ns, sec);
  }

  async listRevokedBefore(): Promise<Record<string, number>> {
    const rows = this.db.prepare('SELECT namespace, sec FROM revoked_before').all() as { namespace: string; sec: number }[];
    return Object.fromEntries(rows.map((r) => [r.namespace, r.sec]));
  }

  async getTelegramBinding(telegramUserId: number): Promise<TelegramBinding | null> {
    const r = this.db.prepare('SELECT * FROM telegram_bindings WHERE telegram_user_id = ?').get(telegramUserId) as
      | { telegram_user_id: number; namespace: string; created_at: number }
      | undefined;
    return r ? { telegramUserId: r.telegram_user_id, namespace: r.namespace as Namespace, createdAt: r.created_at } : null;
  }

  async bindTelegram(ns: Namespace, telegramUserId: number, at: number): Promise<TelegramBinding> {
    this.db.prepare('INSERT OR IGNORE INTO telegram_bindings (telegram_user_id, namespace, created_at) VALUES (?, ?, ?)').run(telegramUserId, ns, at);
    return (await this.getTelegramBinding(telegramUserId))!;
  }

  async unbindTelegram(ns: Namespace, telegramUserId: number): Promise<boolean> {
    const res = this.db.prepare('DELETE FROM telegram_bindings WHERE telegram_user_id = ? AND namespace = ?').run(telegramUserId, ns);
    return res.changes === 1;
  }

  async listTelegramRecipients(ns: Namespace): Promise<number[]> {
    const rows = this.db.prepare('SELECT telegram_user_id FROM telegram_bindings WHERE namespace = ? ORDER BY telegram_user_id').all(ns) as {
      telegram_user_id: number;
    }[];
    return rows.map((r) => r.telegram_user_id);
  }
}
