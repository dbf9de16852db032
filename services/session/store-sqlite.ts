import { openSqlite, isSqliteUniqueViolation, type SqliteDb } from '../../lib/store/sqlite.js';
import { addMissingColumns } from '../../lib/store/sqlite-columns.js';
import { parseNamespace, type Namespace } from '../../lib/namespace.js';
import { SqliteOutbox } from '../../lib/store/sqlite-outbox.js';
import {
  PATCHABLE_FIELDS,
  dueAtOf,
  positionOf,
  type AppendResult,
  type DeliverableQuery,
  type DeliveryState,
  type MessagePosition,
  type DerivedFields,
  type MessagePage,
  type MessageRecord,
  type NamespaceActivityRecord,
  type NewMessage,
  type ReplacementMessage,
  type SessionListQuery,
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
  collaborationMode TEXT,
  copilotAgentMode TEXT,
  globalPinned INTEGER NOT NULL DEFAULT 0,
  pendingRequestsCount INTEGER NOT NULL DEFAULT 0,
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
CREATE TABLE IF NOT EXISTS message_epochs (
  namespace TEXT NOT NULL,
  sessionId TEXT NOT NULL,
  epoch INTEGER NOT NULL,
  PRIMARY KEY (namespace, sessionId)
);
`;

/**
 * Message columns added after the first schema (added in place on open, so an older data dir
 * keeps working). positionAt is HAPI's order key, invokedAt ?? createdAt, kept as a column so one
 * index serves every cursor; dueAt is set only while a scheduled message waits for delivery;
 * claimUntil/claimToken are the scheduler's compare-and-swap claim.
 */
const MESSAGE_COLUMNS = {
  scheduledAt: 'INTEGER',
  deliveryState: "TEXT NOT NULL DEFAULT 'queued'",
  deliveryMode: 'TEXT',
  positionAt: 'INTEGER',
  dueAt: 'INTEGER',
  claimUntil: 'INTEGER',
  claimToken: 'TEXT',
} as const;

const MESSAGE_INDEXES = `
CREATE INDEX IF NOT EXISTS messages_position ON messages (namespace, sessionId, positionAt, seq);
CREATE INDEX IF NOT EXISTS messages_queued ON messages (namespace, sessionId, seq) WHERE invokedAt IS NULL AND localId IS NOT NULL;
CREATE INDEX IF NOT EXISTS messages_due ON messages (dueAt) WHERE dueAt IS NOT NULL;
CREATE INDEX IF NOT EXISTS messages_due_session ON messages (namespace, sessionId) WHERE dueAt IS NOT NULL;
`;

/** HAPI's allowed moves between delivery states: to each state, from these. */
const DELIVERY_FROM: Record<DeliveryState, DeliveryState[]> = {
  queued: ['dispatching', 'indeterminate'],
  dispatching: ['queued', 'indeterminate'],
  indeterminate: ['queued', 'dispatching'],
};

/**
 * The message reads of the cursor, the queue and the scheduler, with named parameters. Each is
 * one indexed range (messages_position, messages_queued, the seq and localId keys, messages_due),
 * never a scan of a session's history; a test checks their query plans on 500,000 messages.
 */
export const MESSAGE_READS = {
  newest: 'SELECT * FROM messages WHERE namespace = @ns AND sessionId = @sessionId ORDER BY positionAt DESC, seq DESC LIMIT @limit',
  before: 'SELECT * FROM messages WHERE namespace = @ns AND sessionId = @sessionId AND (positionAt, seq) < (@at, @seq) ORDER BY positionAt DESC, seq DESC LIMIT @limit',
  hasBefore: 'SELECT 1 FROM messages WHERE namespace = @ns AND sessionId = @sessionId AND (positionAt, seq) < (@at, @seq) LIMIT 1',
  head: 'SELECT positionAt AS at, seq FROM messages WHERE namespace = @ns AND sessionId = @sessionId ORDER BY positionAt DESC, seq DESC LIMIT 1',
  after: `SELECT * FROM messages WHERE namespace = @ns AND sessionId = @sessionId
            AND (positionAt, seq) > (@afterAt, @afterSeq) AND (positionAt, seq) <= (@untilAt, @untilSeq)
          ORDER BY positionAt ASC, seq ASC LIMIT @limit`,
  queued: 'SELECT * FROM messages WHERE namespace = @ns AND sessionId = @sessionId AND invokedAt IS NULL AND localId IS NOT NULL ORDER BY seq DESC LIMIT @limit',
  deliverable: `SELECT * FROM messages WHERE namespace = @ns AND sessionId = @sessionId AND seq > @afterSeq
                  AND (scheduledAt IS NULL OR scheduledAt <= @now) AND deliveryState = 'queued'
                ORDER BY seq ASC LIMIT @limit`,
  deliverableQueued: `SELECT * FROM messages WHERE namespace = @ns AND sessionId = @sessionId AND seq > @afterSeq AND invokedAt IS NULL AND localId IS NOT NULL
                        AND (scheduledAt IS NULL OR scheduledAt <= @now) AND deliveryState = 'queued'
                      ORDER BY seq ASC LIMIT @limit`,
  claimDue: `UPDATE messages SET claimUntil = @claimUntil, claimToken = @token
             WHERE id IN (SELECT id FROM messages WHERE dueAt IS NOT NULL AND dueAt <= @now AND (claimUntil IS NULL OR claimUntil < @now) ORDER BY dueAt LIMIT @limit)
             RETURNING *`,
  futureScheduled: `SELECT sessionId, COUNT(*) AS count, MIN(scheduledAt) AS nextAt FROM messages
                    WHERE namespace = @ns AND dueAt IS NOT NULL AND scheduledAt > @now AND invokedAt IS NULL AND deliveryState = 'queued'
                    GROUP BY sessionId`,
  nextDue: 'SELECT MIN(CASE WHEN claimUntil IS NOT NULL AND claimUntil > dueAt THEN claimUntil ELSE dueAt END) AS at FROM messages WHERE dueAt IS NOT NULL',
} as const;

/** Columns added after the first schema, with the value older rows get (see addMissingColumns). */
const ADDED_COLUMNS = {
  collaborationMode: 'TEXT',
  copilotAgentMode: 'TEXT',
  globalPinned: 'INTEGER NOT NULL DEFAULT 0',
  pendingRequestsCount: 'INTEGER NOT NULL DEFAULT 0',
} as const;

const BOOL_FIELDS = ['active', 'thinking', 'hasConversationContent', 'pinned', 'archived', 'globalPinned'] as const;
const SESSION_COLUMNS = [
  'id', 'namespace', 'tag', 'seq', 'createdAt', 'updatedAt', 'active', 'activeAt', 'metadataJson', 'metadataVersion',
  'agentStateJson', 'agentStateVersion', 'thinking', 'thinkingAt', 'activeTurnStartedAt', 'backgroundTaskCount',
  'todosUpdatedAt', 'teamStateUpdatedAt', 'model', 'modelReasoningEffort', 'effort', 'serviceTier',
  'hasConversationContent', 'pinned', 'todosJson', 'teamStateJson', 'lastMessageSeq', 'archived', 'permissionMode',
  'collaborationMode', 'copilotAgentMode', 'globalPinned', 'pendingRequestsCount',
] as const satisfies readonly (keyof SessionRecord)[];

type Row = Record<string, unknown>;

/** Messages read per page when a fork copies a transcript. */
const COPY_PAGE = 500;

function toSession(row: Row | undefined): SessionRecord | null {
  if (!row) return null;
  const rec = { ...row, namespace: parseNamespace(row.namespace) } as Record<string, unknown>;
  for (const f of BOOL_FIELDS) rec[f] = row[f] === 1;
  return rec as unknown as SessionRecord;
}

function toRow(rec: Partial<SessionRecord>): Row {
  const row: Row = { ...rec };
  for (const f of BOOL_FIELDS) if (f in row) row[f] = row[f] ? 1 : 0;
  return row;
}

/**
 * The list reads each session as one JSON array built by SQLite, in SESSION_COLUMNS' order.
 * better-sqlite3 builds a row object with one native property write per column, and for the 33
 * columns of a session that was most of a list's time (5 ms of a 300-session list on the bench
 * machine); one string per row through JSON.parse costs under half. INTEGER and TEXT values come
 * back as they are stored: the JSON documents as strings, integers as numbers.
 */
const SESSION_AS_JSON_ARRAY = `json_array(${SESSION_COLUMNS.join(', ')})`;
/** A list row's values, position by position: SESSION_COLUMNS' fields, booleans as SQLite's 0/1. */
type SqliteValue<F> = F extends keyof SessionRecord ? (SessionRecord[F] extends boolean ? number : SessionRecord[F]) : never;
type SessionValues = { -readonly [I in keyof typeof SESSION_COLUMNS]: SqliteValue<(typeof SESSION_COLUMNS)[I]> };

/**
 * One list row → the record. A literal, not a loop over the column names: V8 builds it with one
 * fixed shape, ten times faster than adding 33 keys one by one. The order is SESSION_COLUMNS';
 * the store contract checks every field of a list row against the same record read by id.
 */
function sessionFromJsonArray(text: string): SessionRecord {
  const v = JSON.parse(text) as SessionValues;
  return {
    id: v[0], namespace: parseNamespace(v[1]), tag: v[2], seq: v[3], createdAt: v[4], updatedAt: v[5], active: v[6] === 1,
    activeAt: v[7], metadataJson: v[8], metadataVersion: v[9], agentStateJson: v[10], agentStateVersion: v[11],
    thinking: v[12] === 1, thinkingAt: v[13], activeTurnStartedAt: v[14], backgroundTaskCount: v[15], todosUpdatedAt: v[16],
    teamStateUpdatedAt: v[17], model: v[18], modelReasoningEffort: v[19], effort: v[20], serviceTier: v[21],
    hasConversationContent: v[22] === 1, pinned: v[23] === 1, todosJson: v[24], teamStateJson: v[25], lastMessageSeq: v[26],
    archived: v[27] === 1, permissionMode: v[28], collaborationMode: v[29], copilotAgentMode: v[30], globalPinned: v[31] === 1,
    pendingRequestsCount: v[32],
  };
}

/** A row → the record (the order and scheduler columns stay inside the store). */
function toMessage(row: Row | undefined): MessageRecord | null {
  if (!row) return null;
  return {
    id: row.id as string,
    namespace: parseNamespace(row.namespace),
    sessionId: row.sessionId as string,
    seq: row.seq as number,
    createdAt: row.createdAt as number,
    localId: (row.localId as string | null) ?? null,
    contentJson: row.contentJson as string,
    invokedAt: (row.invokedAt as number | null) ?? null,
    scheduledAt: (row.scheduledAt as number | null) ?? null,
    deliveryState: ((row.deliveryState as DeliveryState | null) ?? 'queued'),
    deliveryMode: (row.deliveryMode as MessageRecord['deliveryMode']) ?? null,
  };
}
const toMessages = (rows: Row[]): MessageRecord[] => rows.map((r) => toMessage(r)!);
const placeholders = (n: number) => Array.from({ length: n }, () => '?').join(', ');

/** The session store on one SQLite file (WAL, synchronous FULL): writes are durable when a call returns. */
export class SqliteSessionStore implements SessionStore {
  readonly outbox: SqliteOutbox;

  private constructor(private readonly db: SqliteDb) {
    this.outbox = new SqliteOutbox(db);
  }

  /** The connection, for a store of the same service that must write in the same transactions. */
  get connection(): SqliteDb {
    return this.db;
  }

  /** Opens (creating when absent) the file and its schema. */
  static async open(file: string): Promise<SqliteSessionStore> {
    const db = openSqlite(file);
    try {
      db.exec(SCHEMA);
      addMissingColumns(db, 'sessions', ADDED_COLUMNS);
      // HAPI's list order, so a page of the list is read off the index instead of sorting the namespace.
      db.exec('CREATE INDEX IF NOT EXISTS sessions_ns_list ON sessions (namespace, globalPinned DESC, pinned DESC, active DESC, pendingRequestsCount DESC, updatedAt DESC)');
      if (addMissingColumns(db, 'messages', MESSAGE_COLUMNS) > 0) {
        db.exec('UPDATE messages SET positionAt = COALESCE(invokedAt, createdAt) WHERE positionAt IS NULL');
      }
      db.exec(MESSAGE_INDEXES);
    } catch (err) {
      db.close();
      throw err;
    }
    return new SqliteSessionStore(db);
  }

  async ownerOf(id: string): Promise<Namespace | null> {
    const row = this.db.prepare('SELECT namespace FROM sessions WHERE id = ?').get(id) as { namespace: string } | undefined;
    return row ? parseNamespace(row.namespace) : null;
  }

  async getSession(ns: Namespace, id: string): Promise<SessionRecord | null> {
    return toSession(this.db.prepare('SELECT * FROM sessions WHERE namespace = ? AND id = ?').get(ns, id) as Row | undefined);
  }

  async getSessionByTag(ns: Namespace, tag: string): Promise<SessionRecord | null> {
    return toSession(this.db.prepare('SELECT * FROM sessions WHERE namespace = ? AND tag = ?').get(ns, tag) as Row | undefined);
  }

  async listSessions(ns: Namespace, query: SessionListQuery = { order: 'updatedAt', limit: 0 }): Promise<SessionRecord[]> {
    const order = query.order === 'list' ? 'globalPinned DESC, pinned DESC, active DESC, pendingRequestsCount DESC, updatedAt DESC, id' : 'updatedAt DESC, id';
    // LIMIT -1 is SQLite's "no limit".
    // One column per row, read as an object: the statement is shared through the prepare cache,
    // so its mode stays the default one (no pluck).
    const rows = this.db
      .prepare(`SELECT ${SESSION_AS_JSON_ARRAY} AS j FROM sessions WHERE namespace = ? ORDER BY ${order} LIMIT ?`)
      .all(ns, query.limit > 0 ? query.limit : -1) as { j: string }[];
    return rows.map((row) => sessionFromJsonArray(row.j));
  }

  async countSessions(ns: Namespace): Promise<number> {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM sessions WHERE namespace = ?').get(ns) as { n: number }).n;
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

  async casDocument(ns: Namespace, id: string, doc: VersionedDoc, expectedVersion: number, json: string | null, now: number, derived: DerivedFields = {}): Promise<SessionRecord | null> {
    const [jsonCol, versionCol] = doc === 'metadata' ? ['metadataJson', 'metadataVersion'] : ['agentStateJson', 'agentStateVersion'];
    const extra = derived.pendingRequestsCount === undefined ? '' : ', pendingRequestsCount = @pendingRequestsCount';
    const row = this.db
      .prepare(
        `UPDATE sessions SET ${jsonCol} = @json, ${versionCol} = ${versionCol} + 1, seq = seq + 1, updatedAt = @now${extra}
         WHERE namespace = @ns AND id = @id AND ${versionCol} = @expectedVersion RETURNING *`,
      )
      .get({ json, now, ns, id, expectedVersion, ...derived }) as Row | undefined;
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
    const head = this.db.prepare(MESSAGE_READS.head);
    const bump = this.db.prepare(
      'UPDATE sessions SET lastMessageSeq = lastMessageSeq + 1, hasConversationContent = 1 WHERE namespace = ? AND id = ? RETURNING lastMessageSeq',
    );
    const insert = this.db.prepare(
      `INSERT INTO messages (id, namespace, sessionId, seq, createdAt, localId, contentJson, invokedAt, scheduledAt, deliveryState, deliveryMode, positionAt, dueAt)
       VALUES (@id, @namespace, @sessionId, @seq, @createdAt, @localId, @contentJson, @invokedAt, @scheduledAt, @deliveryState, @deliveryMode, @positionAt, @dueAt)`,
    );
    // One IMMEDIATE transaction: the seq counter, the row and the epoch commit together or not at all.
    const run = this.db.transaction((): AppendResult | null => {
      if (msg.localId !== null) {
        const existing = toMessage(findLocal.get(ns, msg.sessionId, msg.localId) as Row | undefined);
        if (existing) return { message: existing, created: false, firstContent: false };
      }
      const prior = before.get(ns, msg.sessionId) as { hasConversationContent: number } | undefined;
      if (!prior) return null;
      const newest = head.get({ ns, sessionId: msg.sessionId }) as MessagePosition | undefined;
      const bumped = bump.get(ns, msg.sessionId) as { lastMessageSeq: number };
      const message: MessageRecord = { ...msg, namespace: ns, seq: bumped.lastMessageSeq };
      const positionAt = positionOf(message).at;
      insert.run({ ...message, positionAt, dueAt: dueAtOf(message) });
      if (newest && positionAt < newest.at) this.bumpEpoch(ns, msg.sessionId);
      return { message, created: true, firstContent: prior.hasConversationContent === 0 };
    });
    return run.immediate();
  }

  private bumpEpoch(ns: Namespace, sessionId: string): void {
    this.db
      .prepare('INSERT INTO message_epochs (namespace, sessionId, epoch) VALUES (?, ?, 1) ON CONFLICT (namespace, sessionId) DO UPDATE SET epoch = epoch + 1')
      .run(ns, sessionId);
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
      `UPDATE messages SET invokedAt = @at, positionAt = @at, deliveryState = 'queued', dueAt = NULL
       WHERE namespace = @ns AND sessionId = @sessionId AND localId = @localId AND invokedAt IS NULL`,
    );
    const run = this.db.transaction(() => [...new Set(localIds)].filter((localId) => stamp.run({ at, ns, sessionId, localId }).changes > 0));
    return run.immediate();
  }

  async deleteMessages(ns: Namespace, sessionId: string): Promise<number> {
    const run = this.db.transaction(() => {
      this.db.prepare('DELETE FROM message_epochs WHERE namespace = ? AND sessionId = ?').run(ns, sessionId);
      return this.db.prepare('DELETE FROM messages WHERE namespace = ? AND sessionId = ?').run(ns, sessionId).changes;
    });
    return run.immediate();
  }

  async messagesBefore(ns: Namespace, sessionId: string, limit: number, before?: MessagePosition): Promise<MessageRecord[]> {
    const rows = (before
      ? this.db.prepare(MESSAGE_READS.before).all({ ns, sessionId, limit, at: before.at, seq: before.seq })
      : this.db.prepare(MESSAGE_READS.newest).all({ ns, sessionId, limit })) as Row[];
    return toMessages(rows).reverse();
  }

  async hasMessagesBefore(ns: Namespace, sessionId: string, pos: MessagePosition): Promise<boolean> {
    const row = this.db.prepare(MESSAGE_READS.hasBefore).get({ ns, sessionId, at: pos.at, seq: pos.seq });
    return row !== undefined;
  }

  async newestPosition(ns: Namespace, sessionId: string): Promise<MessagePosition | null> {
    const row = this.db.prepare(MESSAGE_READS.head).get({ ns, sessionId }) as MessagePosition | undefined;
    return row ?? null;
  }

  async messagesAfter(ns: Namespace, sessionId: string, limit: number, after: MessagePosition, until: MessagePosition): Promise<MessageRecord[]> {
    const rows = this.db
      .prepare(MESSAGE_READS.after)
      .all({ ns, sessionId, limit, afterAt: after.at, afterSeq: after.seq, untilAt: until.at, untilSeq: until.seq }) as Row[];
    return toMessages(rows);
  }

  async queuedMessages(ns: Namespace, sessionId: string, limit: number): Promise<MessageRecord[]> {
    const rows = this.db.prepare(MESSAGE_READS.queued).all({ ns, sessionId, limit }) as Row[];
    return toMessages(rows).reverse();
  }

  async messageEpoch(ns: Namespace, sessionId: string): Promise<number> {
    const row = this.db.prepare('SELECT epoch FROM message_epochs WHERE namespace = ? AND sessionId = ?').get(ns, sessionId) as { epoch: number } | undefined;
    return row?.epoch ?? 0;
  }

  async deliverableMessages(ns: Namespace, sessionId: string, q: DeliverableQuery): Promise<MessageRecord[]> {
    const rows = this.db
      .prepare(q.queuedOnly ? MESSAGE_READS.deliverableQueued : MESSAGE_READS.deliverable)
      .all({ ns, sessionId, afterSeq: q.afterSeq, now: q.now, limit: q.limit }) as Row[];
    return toMessages(rows);
  }

  async findMessage(ns: Namespace, sessionId: string, idOrLocalId: string): Promise<MessageRecord | null> {
    const byId = this.db.prepare('SELECT * FROM messages WHERE id = ? AND namespace = ? AND sessionId = ?').get(idOrLocalId, ns, sessionId) as Row | undefined;
    if (byId) return toMessage(byId);
    return toMessage(this.db.prepare('SELECT * FROM messages WHERE namespace = ? AND sessionId = ? AND localId = ?').get(ns, sessionId, idOrLocalId) as Row | undefined);
  }

  async deleteQueuedMessage(ns: Namespace, sessionId: string, id: string): Promise<boolean> {
    const run = this.db.transaction(() => {
      const deleted = this.db.prepare('DELETE FROM messages WHERE id = ? AND namespace = ? AND sessionId = ? AND invokedAt IS NULL').run(id, ns, sessionId).changes > 0;
      if (deleted) this.bumpEpoch(ns, sessionId);
      return deleted;
    });
    return run.immediate();
  }

  async setDeliveryState(ns: Namespace, sessionId: string, localIds: string[], state: DeliveryState): Promise<string[]> {
    const from = DELIVERY_FROM[state];
    const move = this.db.prepare(
      `UPDATE messages SET deliveryState = ? WHERE namespace = ? AND sessionId = ? AND localId = ? AND invokedAt IS NULL AND deliveryState IN (${placeholders(from.length)})`,
    );
    const run = this.db.transaction(() => [...new Set(localIds)].filter((localId) => move.run(state, ns, sessionId, localId, ...from).changes > 0));
    return run.immediate();
  }

  async claimIndeterminate(ns: Namespace, sessionId: string, idOrLocalId: string): Promise<MessageRecord | null> {
    const found = await this.findMessage(ns, sessionId, idOrLocalId);
    if (!found) return null;
    const row = this.db
      .prepare(
        `UPDATE messages SET deliveryState = 'dispatching'
         WHERE id = ? AND namespace = ? AND sessionId = ? AND invokedAt IS NULL AND deliveryState = 'indeterminate' RETURNING *`,
      )
      .get(found.id, ns, sessionId) as Row | undefined;
    return toMessage(row);
  }

  async messagesByLocalIds(ns: Namespace, sessionId: string, localIds: string[]): Promise<MessageRecord[]> {
    const unique = [...new Set(localIds)];
    if (unique.length === 0) return [];
    const rows = this.db
      .prepare(`SELECT * FROM messages WHERE namespace = ? AND sessionId = ? AND localId IN (${placeholders(unique.length)}) ORDER BY seq ASC`)
      .all(ns, sessionId, ...unique) as Row[];
    return toMessages(rows);
  }

  async replaceQueuedContent(ns: Namespace, sessionId: string, localId: string, contentJson: string): Promise<MessageRecord | null> {
    const row = this.db
      .prepare('UPDATE messages SET contentJson = ? WHERE namespace = ? AND sessionId = ? AND localId = ? AND invokedAt IS NULL RETURNING *')
      .get(contentJson, ns, sessionId, localId) as Row | undefined;
    return toMessage(row);
  }

  async futureScheduled(ns: Namespace, now: number): Promise<{ sessionId: string; count: number; nextAt: number }[]> {
    return this.db.prepare(MESSAGE_READS.futureScheduled).all({ ns, now }) as { sessionId: string; count: number; nextAt: number }[];
  }

  async sweepImmediateQueued(ns: Namespace, sessionId: string, at: number): Promise<string[]> {
    const rows = this.db
      .prepare(
        `UPDATE messages SET invokedAt = @at, positionAt = @at
         WHERE namespace = @ns AND sessionId = @sessionId AND invokedAt IS NULL AND localId IS NOT NULL AND scheduledAt IS NULL AND deliveryState = 'queued'
         RETURNING localId, seq`,
      )
      .all({ at, ns, sessionId }) as { localId: string; seq: number }[];
    return rows.sort((a, b) => a.seq - b.seq).map((r) => r.localId);
  }

  async claimDueScheduled(now: number, claimUntil: number, token: string, limit: number): Promise<MessageRecord[]> {
    const rows = this.db.prepare(MESSAGE_READS.claimDue).all({ now, claimUntil, token, limit }) as Row[];
    return toMessages(rows).sort((a, b) => (a.scheduledAt ?? 0) - (b.scheduledAt ?? 0) || a.seq - b.seq);
  }

  async releaseScheduled(ns: Namespace, id: string, token: string): Promise<boolean> {
    return this.db.prepare('UPDATE messages SET dueAt = NULL, claimUntil = NULL, claimToken = NULL WHERE id = ? AND namespace = ? AND claimToken = ?').run(id, ns, token).changes > 0;
  }

  async nextDueAt(): Promise<number | null> {
    const row = this.db.prepare(MESSAGE_READS.nextDue).get() as { at: number | null };
    return row.at;
  }

  async historyState(ns: Namespace, sessionId: string, boundaryLocalId?: string): Promise<{ queued: number; boundaryInvoked: boolean }> {
    const queued = this.db
      .prepare('SELECT COUNT(*) AS n FROM messages WHERE namespace = ? AND sessionId = ? AND localId IS NOT NULL AND invokedAt IS NULL')
      .get(ns, sessionId) as { n: number };
    const boundary =
      boundaryLocalId === undefined
        ? undefined
        : (this.db.prepare('SELECT invokedAt FROM messages WHERE namespace = ? AND sessionId = ? AND localId = ?').get(ns, sessionId, boundaryLocalId) as { invokedAt: number | null } | undefined);
    return { queued: queued.n, boundaryInvoked: boundary !== undefined && boundary.invokedAt !== null };
  }

  async truncateMessagesFrom(ns: Namespace, sessionId: string, localId: string, replacements: ReplacementMessage[], newId: () => string): Promise<{ deleted: number; inserted: number } | null> {
    const target = this.db.prepare('SELECT seq, positionAt AS pos FROM messages WHERE namespace = ? AND sessionId = ? AND localId = ?');
    // The cursor's own order and index: (positionAt, seq) at or after the target.
    const remove = this.db.prepare('DELETE FROM messages WHERE namespace = @ns AND sessionId = @sessionId AND (positionAt, seq) >= (@pos, @seq)');
    const run = this.db.transaction(() => {
      const t = target.get(ns, sessionId, localId) as { seq: number; pos: number } | undefined;
      if (!t) return null;
      const deleted = remove.run({ ns, sessionId, pos: t.pos, seq: t.seq }).changes;
      this.insertCopies(ns, sessionId, replacements, newId);
      // A history changed before its newest position: an after-cursor from before is stale.
      this.bumpEpoch(ns, sessionId);
      return { deleted, inserted: replacements.length };
    });
    return run.immediate();
  }

  async copyInvokedMessages(ns: Namespace, fromId: string, toId: string, beforeLocalId: string | undefined, newId: () => string): Promise<{ copied: number; localIds: string[] } | null> {
    const boundary = this.db.prepare('SELECT seq, COALESCE(invokedAt, createdAt) AS pos FROM messages WHERE namespace = ? AND sessionId = ? AND localId = ?');
    const cut = beforeLocalId === undefined ? '' : ' AND (invokedAt < @pos OR (invokedAt = @pos AND seq < @seq))';
    // Keyset pages: a statement cannot write while another one is still iterating, and a page
    // keeps memory bounded however long the transcript is.
    const page = this.db.prepare(
      `SELECT seq, createdAt, localId, contentJson, invokedAt FROM messages
        WHERE namespace = @ns AND sessionId = @fromId AND invokedAt IS NOT NULL${cut}
          AND (invokedAt > @afterAt OR (invokedAt = @afterAt AND seq > @afterSeq))
        ORDER BY invokedAt, seq LIMIT ${COPY_PAGE}`,
    );
    const run = this.db.transaction(() => {
      const params: Record<string, unknown> = { ns, fromId, afterAt: -1, afterSeq: 0 };
      if (beforeLocalId !== undefined) {
        const b = boundary.get(ns, fromId, beforeLocalId) as { seq: number; pos: number } | undefined;
        if (!b) return null;
        Object.assign(params, { pos: b.pos, seq: b.seq });
      }
      let copied = 0;
      const localIds: string[] = [];
      for (;;) {
        const rows = page.all(params) as (ReplacementMessage & { seq: number; invokedAt: number })[];
        copied += this.insertCopies(ns, toId, rows, newId);
        for (const r of rows) if (r.localId !== null) localIds.push(r.localId);
        if (rows.length < COPY_PAGE) {
          // As HAPI: a history copied in is a change an after-cursor of the child must not miss.
          if (copied > 0) this.bumpEpoch(ns, toId);
          return { copied, localIds };
        }
        const last = rows[rows.length - 1]!;
        Object.assign(params, { afterAt: last.invokedAt, afterSeq: last.seq });
      }
    });
    return run.immediate();
  }

  /** Appends messages with the session's next seqs (inside the caller's transaction). */
  private insertCopies(ns: Namespace, sessionId: string, messages: Iterable<ReplacementMessage>, newId: () => string): number {
    const bump = this.db.prepare(
      'UPDATE sessions SET lastMessageSeq = lastMessageSeq + 1, hasConversationContent = 1 WHERE namespace = ? AND id = ? RETURNING lastMessageSeq',
    );
    const insert = this.db.prepare(
      `INSERT INTO messages (id, namespace, sessionId, seq, createdAt, localId, contentJson, invokedAt, positionAt)
       VALUES (@id, @namespace, @sessionId, @seq, @createdAt, @localId, @contentJson, @invokedAt, @positionAt)`,
    );
    let n = 0;
    for (const m of messages) {
      const bumped = bump.get(ns, sessionId) as { lastMessageSeq: number } | undefined;
      if (!bumped) return n;
      const row = { id: newId(), namespace: ns, sessionId, seq: bumped.lastMessageSeq, createdAt: m.createdAt, localId: m.localId, contentJson: m.contentJson, invokedAt: m.invokedAt };
      insert.run({ ...row, positionAt: m.invokedAt ?? m.createdAt });
      n++;
    }
    return n;
  }

  async messageStats(ns: Namespace, sessionId: string): Promise<{ count: number; contentBytes: number }> {
    const row = this.db
      .prepare('SELECT COUNT(*) AS count, COALESCE(SUM(LENGTH(CAST(contentJson AS BLOB))), 0) AS contentBytes FROM messages WHERE namespace = ? AND sessionId = ?')
      .get(ns, sessionId) as { count: number; contentBytes: number };
    return row;
  }

  async namespaceActivity(): Promise<NamespaceActivityRecord[]> {
    const sessions = this.db
      .prepare('SELECT namespace, COUNT(*) AS n, SUM(active) AS active, MAX(MAX(updatedAt, activeAt)) AS last FROM sessions GROUP BY namespace')
      .all() as { namespace: string; n: number; active: number; last: number }[];
    const messages = this.db.prepare('SELECT namespace, COUNT(*) AS n, MAX(createdAt) AS last FROM messages GROUP BY namespace').all() as { namespace: string; n: number; last: number }[];
    const byNs = new Map<string, NamespaceActivityRecord>();
    for (const r of sessions) byNs.set(r.namespace, { namespace: parseNamespace(r.namespace), sessions: r.n, activeSessions: r.active ?? 0, messages: 0, lastActivityAt: r.last ?? 0 });
    for (const r of messages) {
      const rec = byNs.get(r.namespace) ?? { namespace: parseNamespace(r.namespace), sessions: 0, activeSessions: 0, messages: 0, lastActivityAt: 0 };
      rec.messages = r.n;
      rec.lastActivityAt = Math.max(rec.lastActivityAt, r.last ?? 0);
      byNs.set(r.namespace, rec);
    }
    return [...byNs.values()];
  }

  async importMessages(ns: Namespace, sessionId: string, messages: MessageRecord[]): Promise<number> {
    const insert = this.db.prepare(
      `INSERT OR IGNORE INTO messages (id, namespace, sessionId, seq, createdAt, localId, contentJson, invokedAt, scheduledAt, deliveryState, deliveryMode, positionAt, dueAt)
       VALUES (@id, @namespace, @sessionId, @seq, @createdAt, @localId, @contentJson, @invokedAt, @scheduledAt, @deliveryState, @deliveryMode, @positionAt, @dueAt)`,
    );
    const raise = this.db.prepare(
      'UPDATE sessions SET lastMessageSeq = MAX(lastMessageSeq, ?), hasConversationContent = 1 WHERE namespace = ? AND id = ?',
    );
    const exists = this.db.prepare('SELECT 1 FROM sessions WHERE namespace = ? AND id = ?');
    // One transaction: the rows and the raised counter commit together.
    const run = this.db.transaction((): number => {
      if (!exists.get(ns, sessionId)) return 0;
      let added = 0;
      let top = 0;
      for (const m of messages) {
        // An id taken by any session (ids are global) is skipped too: OR IGNORE covers the primary key.
        added += insert.run({ ...m, namespace: ns, sessionId, positionAt: positionOf(m).at, dueAt: dueAtOf(m) }).changes;
        top = Math.max(top, m.seq);
      }
      if (messages.length > 0) raise.run(top, ns, sessionId);
      return added;
    });
    return run.immediate();
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
