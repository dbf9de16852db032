import { openSqlite, isSqliteUniqueViolation, type SqliteDb } from '../../lib/store/sqlite.js';
import { AppError } from '../../lib/errors.js';
import { parseNamespace, type Namespace } from '../../lib/namespace.js';
import { renameColumns } from '../../lib/store/sqlite-columns.js';
import type {
  AuditRecord,
  AuthStore,
  HubSecretsRecord,
  NamespaceRecord,
  PruneCounts,
  PruneCutoffs,
  RevokedJtiRecord,
  TelegramBinding,
  ThrottleRecord,
} from './store.js';

// Column names are the record's field names, as in every service's SQLite store.
const SCHEMA = `
  CREATE TABLE IF NOT EXISTS secrets (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    doc TEXT NOT NULL
  );
  CREATE TABLE IF NOT EXISTS namespaces (
    name TEXT PRIMARY KEY,
    label TEXT NOT NULL,
    tokenHash TEXT NOT NULL UNIQUE,
    createdAt INTEGER NOT NULL,
    lastUsedAt INTEGER,
    rotatedAt INTEGER,
    revoked INTEGER NOT NULL
  );
  CREATE TABLE IF NOT EXISTS throttles (
    addr TEXT PRIMARY KEY,
    count INTEGER NOT NULL,
    windowStart INTEGER NOT NULL,
    version INTEGER NOT NULL
  );
  CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    at INTEGER NOT NULL,
    action TEXT NOT NULL,
    namespace TEXT,
    clientAddr TEXT NOT NULL,
    outcome TEXT NOT NULL,
    actor TEXT NOT NULL,
    detail TEXT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS audit_ns_at ON audit (namespace, at DESC);
  CREATE INDEX IF NOT EXISTS audit_at ON audit (at DESC);
  CREATE TABLE IF NOT EXISTS revoked_jtis (
    jti TEXT PRIMARY KEY,
    namespace TEXT NOT NULL,
    expiresAt INTEGER NOT NULL
  );
  CREATE INDEX IF NOT EXISTS revoked_jtis_expiresAt ON revoked_jtis (expiresAt);
  CREATE INDEX IF NOT EXISTS throttles_windowStart ON throttles (windowStart);
  CREATE TABLE IF NOT EXISTS trusted_clients (
    key TEXT PRIMARY KEY,
    at INTEGER NOT NULL
  );
  CREATE INDEX IF NOT EXISTS trusted_clients_at ON trusted_clients (at);
  CREATE TABLE IF NOT EXISTS revoked_before (
    namespace TEXT PRIMARY KEY,
    sec INTEGER NOT NULL
  );
  CREATE TABLE IF NOT EXISTS telegram_bindings (
    telegramUserId INTEGER PRIMARY KEY,
    namespace TEXT NOT NULL,
    createdAt INTEGER NOT NULL
  );
  CREATE INDEX IF NOT EXISTS telegram_ns ON telegram_bindings (namespace);
`;

/** Columns as an older version named them (snake_case), per table; renamed in place on open. */
const OLD_COLUMNS: Record<string, Record<string, string>> = {
  namespaces: { token_hash: 'tokenHash', created_at: 'createdAt', last_used_at: 'lastUsedAt', rotated_at: 'rotatedAt' },
  throttles: { window_start: 'windowStart' },
  audit: { client_addr: 'clientAddr' },
  revoked_jtis: { expires_at: 'expiresAt' },
  telegram_bindings: { telegram_user_id: 'telegramUserId', created_at: 'createdAt' },
};

type NamespaceRow = Omit<NamespaceRecord, 'name' | 'revoked'> & { name: string; revoked: number };
type AuditRow = Omit<AuditRecord, 'namespace'> & { namespace: string | null };
type BindingRow = Omit<TelegramBinding, 'namespace'> & { namespace: string };

function toNamespace(r: NamespaceRow): NamespaceRecord {
  return { ...r, name: parseNamespace(r.name), revoked: r.revoked === 1 };
}

function toAudit(r: AuditRow & { seq?: number }): AuditRecord {
  const { seq: _seq, ...rest } = r;
  return { ...rest, namespace: r.namespace === null ? null : parseNamespace(r.namespace) };
}

function toBinding(r: BindingRow): TelegramBinding {
  return { telegramUserId: r.telegramUserId, namespace: parseNamespace(r.namespace), createdAt: r.createdAt };
}

/** The auth service's SQLite file (one machine). */
export class SqliteAuthStore implements AuthStore {
  private constructor(private readonly db: SqliteDb) {}

  /** Opens (creating when absent) the file, renames columns of an older layout, makes the schema. */
  static async open(file: string): Promise<SqliteAuthStore> {
    const db = openSqlite(file);
    try {
      for (const [table, renames] of Object.entries(OLD_COLUMNS)) renameColumns(db, table, renames);
      db.exec(SCHEMA);
    } catch (err) {
      db.close();
      throw err;
    }
    return new SqliteAuthStore(db);
  }

  async close(): Promise<void> {
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
        .prepare('INSERT INTO namespaces (name, label, tokenHash, createdAt, lastUsedAt, rotatedAt, revoked) VALUES (?, ?, ?, ?, ?, ?, ?)')
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
    return (this.db.prepare('SELECT * FROM namespaces ORDER BY createdAt, name').all() as NamespaceRow[]).map(toNamespace);
  }

  async findNamespaceByTokenHash(tokenHash: string): Promise<NamespaceRecord | null> {
    const r = this.db.prepare('SELECT * FROM namespaces WHERE tokenHash = ?').get(tokenHash) as NamespaceRow | undefined;
    return r ? toNamespace(r) : null;
  }

  async rotateNamespaceToken(name: Namespace, tokenHash: string, at: number): Promise<boolean> {
    const res = this.db.prepare('UPDATE namespaces SET tokenHash = ?, rotatedAt = ?, revoked = 0 WHERE name = ?').run(tokenHash, at, name);
    return res.changes === 1;
  }

  async revokeNamespace(name: Namespace, at: number): Promise<boolean> {
    const res = this.db.prepare('UPDATE namespaces SET revoked = 1, rotatedAt = ? WHERE name = ?').run(at, name);
    return res.changes === 1;
  }

  async touchNamespace(name: Namespace, at: number): Promise<void> {
    this.db.prepare('UPDATE namespaces SET lastUsedAt = ? WHERE name = ?').run(at, name);
  }

  async getThrottle(addr: string): Promise<ThrottleRecord | null> {
    const r = this.db.prepare('SELECT * FROM throttles WHERE addr = ?').get(addr) as ThrottleRecord | undefined;
    return r ?? null;
  }

  async casThrottle(addr: string, expectedVersion: number | null, next: { count: number; windowStart: number }): Promise<boolean> {
    if (expectedVersion === null) {
      const res = this.db
        .prepare('INSERT OR IGNORE INTO throttles (addr, count, windowStart, version) VALUES (?, ?, ?, 1)')
        .run(addr, next.count, next.windowStart);
      return res.changes === 1;
    }
    const res = this.db
      .prepare('UPDATE throttles SET count = ?, windowStart = ?, version = version + 1 WHERE addr = ? AND version = ?')
      .run(next.count, next.windowStart, addr, expectedVersion);
    return res.changes === 1;
  }

  async getTrust(key: string): Promise<number | null> {
    const r = this.db.prepare('SELECT at FROM trusted_clients WHERE key = ?').get(key) as { at: number } | undefined;
    return r?.at ?? null;
  }

  async putTrust(key: string, at: number): Promise<void> {
    this.db.prepare('INSERT INTO trusted_clients (key, at) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET at = MAX(at, excluded.at)').run(key, at);
  }

  async appendAudit(rec: AuditRecord): Promise<void> {
    this.db
      .prepare('INSERT INTO audit (id, at, action, namespace, clientAddr, outcome, actor, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
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
    this.db.prepare('INSERT OR IGNORE INTO revoked_jtis (jti, namespace, expiresAt) VALUES (?, ?, ?)').run(jti, ns, expiresAt);
  }

  async listRevokedJtis(nowSec: number): Promise<RevokedJtiRecord[]> {
    const rows = this.db.prepare('SELECT * FROM revoked_jtis WHERE expiresAt > ?').all(nowSec) as { jti: string; namespace: string; expiresAt: number }[];
    return rows.map((r) => ({ jti: r.jti, namespace: parseNamespace(r.namespace), expiresAt: r.expiresAt }));
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
    const r = this.db.prepare('SELECT * FROM telegram_bindings WHERE telegramUserId = ?').get(telegramUserId) as BindingRow | undefined;
    return r ? toBinding(r) : null;
  }

  async bindTelegram(ns: Namespace, telegramUserId: number, at: number): Promise<TelegramBinding> {
    this.db.prepare('INSERT OR IGNORE INTO telegram_bindings (telegramUserId, namespace, createdAt) VALUES (?, ?, ?)').run(telegramUserId, ns, at);
    return (await this.getTelegramBinding(telegramUserId))!;
  }

  async unbindTelegram(ns: Namespace, telegramUserId: number): Promise<boolean> {
    const res = this.db.prepare('DELETE FROM telegram_bindings WHERE telegramUserId = ? AND namespace = ?').run(telegramUserId, ns);
    return res.changes === 1;
  }

  async listTelegramRecipients(ns: Namespace): Promise<number[]> {
    const rows = this.db.prepare('SELECT telegramUserId FROM telegram_bindings WHERE namespace = ? ORDER BY telegramUserId').all(ns) as {
      telegramUserId: number;
    }[];
    return rows.map((r) => r.telegramUserId);
  }

  async listTelegramBindings(ns: Namespace): Promise<TelegramBinding[]> {
    const rows = this.db.prepare('SELECT * FROM telegram_bindings WHERE namespace = ? ORDER BY createdAt, telegramUserId').all(ns) as BindingRow[];
    return rows.map(toBinding);
  }

  async deleteTelegramBindings(ns: Namespace): Promise<number> {
    return this.db.prepare('DELETE FROM telegram_bindings WHERE namespace = ?').run(ns).changes;
  }

  async prune(c: PruneCutoffs): Promise<PruneCounts> {
    const run = (sql: string, ...args: unknown[]) => this.db.prepare(sql).run(...args).changes;
    const jtis = run('DELETE FROM revoked_jtis WHERE expiresAt < ?', c.jtiExpiredBeforeSec);
    const throttles = run('DELETE FROM throttles WHERE windowStart < ?', c.throttleStartedBefore);
    const trust = run('DELETE FROM trusted_clients WHERE at < ?', c.trustBefore);
    let audit = run('DELETE FROM audit WHERE at < ?', c.auditBefore);
    // The newest `auditKeep` rows stay; seq is the insertion order.
    audit += run('DELETE FROM audit WHERE seq <= (SELECT seq FROM audit ORDER BY seq DESC LIMIT 1 OFFSET ?)', c.auditKeep);
    return { jtis, throttles, trust, audit };
  }
}
