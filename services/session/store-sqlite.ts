import { openSqlite, isSqliteUniqueViolation, type SqliteDb } from '../../lib/store/sqlite.js';
import type { Namespace } from '../../lib/namespace.js';
import {
  PATCHABLE_FIELDS,
  type AppendResult,
  type MessagePage,
  type MessageRecord,
  type NewMessage,
  type SessionPatch,
  type SessionRecord,
  type SessionStore,
  type VersionedDoc,
} from './store.js';

// Column names are the record's field names, so rows map onto records without a rename table.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS sessions (
  id TEXT PRIMARY KEY,
  namespace TEXT NOT NULL,
  tag TEXT NOT NULL,
  seq INTEGER NOT NULL,
  createdAt INTEGER NOT NULL,
  updatedAt INTEGER NOT NULL,
  active INTEGER NOT NULL,
  activeAt INTEGER NOT NULL,
  metadataJson TEXT,
  metadataVersion INTEGER NOT NULL,
  agentStateJson TEXT,
  agentStateVersion INTEGER NOT NULL,
  thinking INTEGER NOT NULL,
  thinkingAt INTEGER NOT NULL,
  activeTurnStartedAt INTEGER,
  backgroundTaskCount INTEGER NOT NULL,
  todosUpdatedAt INTEGER NOT NULL,
  teamStateUpdatedAt INTEGER NOT NULL,
  model TEXT,
  modelReasoningEffort TEXT,
  effort TEXT,
  serviceTier TEXT,
  hasConversationContent INTEGER NOT NULL,
  pinned INTEGER NOT NULL,
  todosJson TEXT,
  teamStateJson TEXT,
  lastMessageSeq INTEGER NOT NULL,
  archived INTEGER NOT NULL,
  permissionMode TEXT,
  UNIQUE (namespace, tag)
);
CREATE INDEX IF NOT EXISTS sessions_ns_updated ON sessions (namespace, updatedAt DESC);
CREATE TABLE IF NOT EXISTS messages (
  id TEXT PRIMARY KEY,
  namespace TEXT NOT NULL,
  sessionId TEXT NOT NULL,
  seq INTEGER NOT NULL,
  createdAt INTEGER NOT NULL,
  localId TEXT,
  contentJson TEXT NOT NULL,
  invokedAt INTEGER,
  UNIQUE (namespace, sessionId, seq),
  UNIQUE (namespace, sessionId, localId)
);
`;

const BOOL_FIELDS = ['active', 'thinking', 'hasConversationContent', 'pinned', 'archived'] as const;
const SESSION_COLUMNS = [
  'id', 'namespace', 'tag', 'seq', 'createdAt', 'updatedAt', 'active', 'activeAt', 'metadataJson', 'metadataVersion',
  'agentStateJson', 'agentStateVersion', 'thinking', 'thinkingAt', 'activeTurnStartedAt', 'backgroundTaskCount',
  'todosUpdatedAt', 'teamStateUpdatedAt', 'model', 'modelReasoningEffort', 'effort', 'serviceTier',
  'hasConversationContent', 'pinned', 'todosJson', 'teamStateJson', 'lastMessageSeq', 'archived', 'permissionMode',
] as const satisfies readonly (keyof SessionRecord)[];

type Row = Record<string, unknown>;

function toSession(row: Row | undefined): SessionRecord | null {
  if (!row) return null;
  const rec = { ...row } as Record<string, unknown>;
  for (const f of BOOL_FIELDS) rec[f] = row[f] === 1;
  return rec as unknown as SessionRecord;
}

function toRow(rec: Partial<SessionRecord>): Row {
  const row: Row = { ...rec };
  for (const f of BOOL_FIELDS) if (f in row) row[f] = row[f] ? 1 : 0;
  return row;
}

const toMessage = (row: Row | undefined): MessageRecord | null => (row ? (row as unknown as MessageRecord) : null);

/** The session store on one SQLite file (WAL, synchronous FULL): writes are durable when a call returns. */
export class SqliteSessionStore implements SessionStore {
  private constructor(private readonly db: SqliteDb) {}

  static open(file: string): SqliteSessionStore {
    const db = openSqlite(file);
    db.exec(SCHEMA);
    return new SqliteSessionStore(db);
  }

  async ownerOf(id: string): Promise<Namespace | null> {
    const row = this.db.prepare('SELECT namespace FROM sessions WHERE id = ?').get(id) as { namespace: Namespace } | undefined;
    return row?.namespace ?? null;
  }

  async getSession(ns: Namespace, id: string): Promise<SessionRecord | null> {
    return toSession(this.db.prepare('SELECT * FROM sessions WHERE namespace = ? AND id = ?').get(ns, id) as Row | undefined);
  }

  async getSessionByTag(ns: Namespace, tag: string): Promise<SessionRecord | null> {
    return toSession(this.db.prepare('SELECT * FROM sessions WHERE namespace = ? AND tag = ?').get(ns, tag) as Row | undefined);
  }

  async listSessions(ns: Namespace): Promise<SessionRecord[]> {
    const rows = this.db.prepare('SELECT * FROM sessions WHERE namespace = ? ORDER BY updatedAt DESC, id').all(ns) as Row[];
    return rows.map((r) => toSession(r)!);
  }

  async insertSession(rec: SessionRecord): Promise<boolean> {
    const cols = SESSION_COLUMNS.join(', ');
    const params = SESSION_COLUMNS.map((c) => `@${c}`).join(', ');
    try {
      this.db.prepare(`INSERT INTO sessions (${cols}) VALUES (${params})`).run(toRow(rec));
      return true;
    } catch (err) {
      if (isSqliteUniqueViolation(err)) return false;
      throw err;
    }
  }

  async casDocument(ns: Namespace, id: string, doc: VersionedDoc, expectedVersion: number, json: string | null, now: number): Promise<SessionRecord | null> {
    const [jsonCol, versionCol] = doc === 'metadata' ? ['metadataJson', 'metadataVersion'] : ['agentStateJson', 'agentStateVersion'];
    const row = this.db
      .prepare(
        `UPDATE sessions SET ${jsonCol} = ?, ${versionCol} = ${versionCol} + 1, seq = seq + 1, updatedAt = ?
         WHERE namespace = ? AND id = ? AND ${versionCol} = ? RETURNING *`,
      )
      .get(json, now, ns, id, expectedVersion) as Row | undefined;
    return toSession(row);
  }

  async patchSession(ns: Namespace, id: string, patch: SessionPatch, whenActive?: boolean): Promise<SessionRecord | null> {
    const keys = Object.keys(patch).filter((k) => (PATCHABLE_FIELDS as readonly string[]).includes(k));
    if (keys.length === 0) return this.getSession(ns, id);
    const sets = keys.map((k) => `${k} = @${k}`).join(', ');
    const cond = whenActive === undefined ? '' : ' AND active = @whenActive';
    const row = this.db
      .prepare(`UPDATE sessions SET ${sets} WHERE namespace = @ns AND id = @id${cond} RETURNING *`)
      .get({ ...toRow(patch), ns, id, whenActive: whenActive ? 1 : 0 }) as Row | undefined;
    return toSession(row);
  }

  async deleteInactiveSession(ns: Namespace, id: string): Promise<boolean> {
    return this.db.prepare('DELETE FROM sessions WHERE namespace = ? AND id = ? AND active = 0').run(ns, id).changes > 0;
  }

  async appendMessage(ns: Namespace, msg: NewMessage): Promise<AppendResult | null> {
    const findLocal = this.db.prepare('SELECT * FROM messages WHERE namespace = ? AND sessionId = ? AND localId = ?');
    const before = this.db.prepare('SELECT hasConversationContent FROM sessions WHERE namespace = ? AND id = ?');
    const bump = this.db.prepare(
      'UPDATE sessions SET lastMessageSeq = lastMessageSeq + 1, hasConversationContent = 1 WHERE namespace = ? AND id = ? RETURNING lastMessageSeq',
    );
    const insert = this.db.prepare(
      'INSERT INTO messages (id, namespace, sessionId, seq, createdAt, localId, contentJson, invokedAt) VALUES (@id, @namespace, @sessionId, @seq, @createdAt, @localId, @contentJson, @invokedAt)',
    );
    // One IMMEDIATE transaction: the seq counter and the row commit together or not at all.
    const run = this.db.transaction((): AppendResult | null => {
      if (msg.localId !== null) {
        const existing = toMessage(findLocal.get(ns, msg.sessionId, msg.localId) as Row | undefined);
        if (existing) return { message: existing, created: false, firstContent: false };
      }
      const prior = before.get(ns, msg.sessionId) as { hasConversationContent: number } | undefined;
      if (!prior) return null;
      const bumped = bump.get(ns, msg.sessionId) as { lastMessageSeq: number };
      const message: MessageRecord = { ...msg, namespace: ns, seq: bumped.lastMessageSeq };
      insert.run(message);
      return { message, created: true, firstContent: prior.hasConversationContent === 0 };
    });
    return run.immediate();
  }

  async listMessages(ns: Namespace, sessionId: string, page: MessagePage): Promise<{ messages: MessageRecord[]; hasMore: boolean }> {
    const limit = page.limit;
    if ('afterSeq' in page) {
      const rows = this.db
        .prepare('SELECT * FROM messages WHERE namespace = ? AND sessionId = ? AND seq > ? ORDER BY seq ASC LIMIT ?')
        .all(ns, sessionId, page.afterSeq, limit + 1) as Row[];
      return { messages: rows.slice(0, limit).map((r) => toMessage(r)!), hasMore: rows.length > limit };
    }
    const rows = this.db
      .prepare('SELECT * FROM messages WHERE namespace = ? AND sessionId = ? AND seq < ? ORDER BY seq DESC LIMIT ?')
      .all(ns, sessionId, page.beforeSeq, limit + 1) as Row[];
    return { messages: rows.slice(0, limit).reverse().map((r) => toMessage(r)!), hasMore: rows.length > limit };
  }

  async markConsumed(ns: Namespace, sessionId: string, localIds: string[], at: number): Promise<string[]> {
    const stamp = this.db.prepare(
      'UPDATE messages SET invokedAt = ? WHERE namespace = ? AND sessionId = ? AND localId = ? AND invokedAt IS NULL',
    );
    const run = this.db.transaction(() => [...new Set(localIds)].filter((lid) => stamp.run(at, ns, sessionId, lid).changes > 0));
    return run.immediate();
  }

  async deleteMessages(ns: Namespace, sessionId: string): Promise<number> {
    return this.db.prepare('DELETE FROM messages WHERE namespace = ? AND sessionId = ?').run(ns, sessionId).changes;
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
