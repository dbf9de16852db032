import { openSqlite, isSqliteUniqueViolation, type SqliteDb } from '../../lib/store/sqlite.js';
import { parseNamespace, type Namespace } from '../../lib/namespace.js';
import type { ScratchlistAttachmentRecord, ScratchlistEntryRecord, ScratchlistStore, StoredAttachment } from './scratchlist-store.js';

// Column names are the record's field names. It lives in the session service's own file.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS scratchlist_entries (
  namespace TEXT NOT NULL,
  sessionId TEXT NOT NULL,
  entryId TEXT NOT NULL,
  text TEXT NOT NULL,
  createdAt INTEGER NOT NULL,
  updatedAt INTEGER NOT NULL,
  attachmentsJson TEXT NOT NULL,
  PRIMARY KEY (namespace, sessionId, entryId)
);
CREATE TABLE IF NOT EXISTS scratchlist_attachments (
  namespace TEXT NOT NULL,
  sessionId TEXT NOT NULL,
  id TEXT NOT NULL,
  filename TEXT NOT NULL,
  mimeType TEXT NOT NULL,
  size INTEGER NOT NULL,
  content BLOB NOT NULL,
  createdAt INTEGER NOT NULL,
  PRIMARY KEY (namespace, sessionId, id)
);
`;

interface EntryRow {
  namespace: string;
  sessionId: string;
  entryId: string;
  text: string;
  createdAt: number;
  updatedAt: number;
  attachmentsJson: string;
}

function toEntry(row: EntryRow | undefined): ScratchlistEntryRecord | null {
  if (!row) return null;
  const { attachmentsJson, ...rest } = row;
  return { ...rest, namespace: parseNamespace(rest.namespace), attachments: JSON.parse(attachmentsJson) as ScratchlistAttachmentRecord[] };
}

export class SqliteScratchlistStore implements ScratchlistStore {
  private constructor(
    private readonly db: SqliteDb,
    private readonly ownsConnection = true,
  ) {}

  /** Opens (a connection of its own to) the session service's file and makes the tables. */
  static async open(file: string): Promise<SqliteScratchlistStore> {
    const db = openSqlite(file);
    db.exec(SCHEMA);
    return new SqliteScratchlistStore(db);
  }

  /**
   * On the session store's own connection (closed by that store), so its writes join the
   * transaction each call runs in (the event outbox's unit of work) instead of waiting on its lock.
   */
  static onConnection(db: SqliteDb): SqliteScratchlistStore {
    db.exec(SCHEMA);
    return new SqliteScratchlistStore(db, false);
  }

  async listEntries(ns: Namespace, sessionId: string): Promise<ScratchlistEntryRecord[]> {
    const rows = this.db.prepare('SELECT * FROM scratchlist_entries WHERE namespace = ? AND sessionId = ? ORDER BY createdAt DESC, entryId DESC').all(ns, sessionId) as EntryRow[];
    return rows.map((r) => toEntry(r)!);
  }

  async countEntries(ns: Namespace, sessionId: string): Promise<number> {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM scratchlist_entries WHERE namespace = ? AND sessionId = ?').get(ns, sessionId) as { n: number }).n;
  }

  async getEntry(ns: Namespace, sessionId: string, entryId: string): Promise<ScratchlistEntryRecord | null> {
    return toEntry(this.db.prepare('SELECT * FROM scratchlist_entries WHERE namespace = ? AND sessionId = ? AND entryId = ?').get(ns, sessionId, entryId) as EntryRow | undefined);
  }

  async insertEntry(rec: ScratchlistEntryRecord): Promise<boolean> {
    try {
      this.db
        .prepare('INSERT INTO scratchlist_entries (namespace, sessionId, entryId, text, createdAt, updatedAt, attachmentsJson) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(rec.namespace, rec.sessionId, rec.entryId, rec.text, rec.createdAt, rec.updatedAt, JSON.stringify(rec.attachments));
      return true;
    } catch (err) {
      if (isSqliteUniqueViolation(err)) return false;
      throw err;
    }
  }

  async updateEntry(ns: Namespace, sessionId: string, entryId: string, patch: { text: string; attachments: ScratchlistAttachmentRecord[]; updatedAt: number }): Promise<ScratchlistEntryRecord | null> {
    const res = this.db
      .prepare('UPDATE scratchlist_entries SET text = ?, attachmentsJson = ?, updatedAt = ? WHERE namespace = ? AND sessionId = ? AND entryId = ?')
      .run(patch.text, JSON.stringify(patch.attachments), patch.updatedAt, ns, sessionId, entryId);
    return res.changes === 0 ? null : this.getEntry(ns, sessionId, entryId);
  }

  async deleteEntry(ns: Namespace, sessionId: string, entryId: string): Promise<boolean> {
    return this.db.prepare('DELETE FROM scratchlist_entries WHERE namespace = ? AND sessionId = ? AND entryId = ?').run(ns, sessionId, entryId).changes > 0;
  }

  async putAttachment(rec: StoredAttachment): Promise<void> {
    this.db
      .prepare('INSERT INTO scratchlist_attachments (namespace, sessionId, id, filename, mimeType, size, content, createdAt) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(rec.namespace, rec.sessionId, rec.id, rec.filename, rec.mimeType, rec.size, rec.content, rec.createdAt);
  }

  async getAttachmentInfo(ns: Namespace, sessionId: string, id: string): Promise<Omit<StoredAttachment, 'content'> | null> {
    const row = this.db.prepare('SELECT namespace, sessionId, id, filename, mimeType, size, createdAt FROM scratchlist_attachments WHERE namespace = ? AND sessionId = ? AND id = ?').get(ns, sessionId, id) as
      | (Omit<StoredAttachment, 'content' | 'namespace'> & { namespace: string })
      | undefined;
    return row ? { ...row, namespace: parseNamespace(row.namespace) } : null;
  }

  async readAttachment(ns: Namespace, sessionId: string, id: string): Promise<Buffer | null> {
    const row = this.db.prepare('SELECT content FROM scratchlist_attachments WHERE namespace = ? AND sessionId = ? AND id = ?').get(ns, sessionId, id) as { content: Buffer } | undefined;
    return row?.content ?? null;
  }

  async deleteAttachments(ns: Namespace, sessionId: string, ids: string[]): Promise<number> {
    const del = this.db.prepare('DELETE FROM scratchlist_attachments WHERE namespace = ? AND sessionId = ? AND id = ?');
    let n = 0;
    for (const id of ids) n += del.run(ns, sessionId, id).changes;
    return n;
  }

  async sessionBytes(ns: Namespace, sessionId: string): Promise<number> {
    return (this.db.prepare('SELECT COALESCE(SUM(size), 0) AS n FROM scratchlist_attachments WHERE namespace = ? AND sessionId = ?').get(ns, sessionId) as { n: number }).n;
  }

  async close(): Promise<void> {
    if (this.ownsConnection) this.db.close();
  }
}
