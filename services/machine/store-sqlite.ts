import { openSqlite, isSqliteUniqueViolation, type SqliteDb } from '../../lib/store/sqlite.js';
import { renameColumns } from '../../lib/store/sqlite-columns.js';
import { parseNamespace, type Namespace } from '../../lib/namespace.js';
import { SqliteOutbox } from '../../lib/store/sqlite-outbox.js';
import type { CasInput, CasOutcome, MachineRecord, MachineStore } from './store.js';

// Column names are the record's field names, as in every service's SQLite store.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS machines (
  id TEXT PRIMARY KEY,
  namespace TEXT NOT NULL,
  seq INTEGER NOT NULL,
  createdAt INTEGER NOT NULL,
  updatedAt INTEGER NOT NULL,
  active INTEGER NOT NULL,
  activeAt INTEGER NOT NULL,
  metadataJson TEXT,
  metadataVersion INTEGER NOT NULL,
  runnerStateJson TEXT,
  runnerStateVersion INTEGER NOT NULL,
  healthJson TEXT
);
CREATE INDEX IF NOT EXISTS machines_ns_updated ON machines (namespace, updatedAt DESC);
`;

/** Columns as an older version named them; renamed in place on open. */
const OLD_COLUMNS = {
  created_at: 'createdAt',
  updated_at: 'updatedAt',
  active_at: 'activeAt',
  metadata: 'metadataJson',
  metadata_version: 'metadataVersion',
  runner_state: 'runnerStateJson',
  runner_state_version: 'runnerStateVersion',
  health: 'healthJson',
} as const;

type Row = Omit<MachineRecord, 'namespace' | 'active'> & { namespace: string; active: number };

function toRecord(r: Row): MachineRecord {
  return { ...r, namespace: parseNamespace(r.namespace), active: r.active === 1 };
}

const COLUMNS = {
  metadata: { doc: 'metadataJson', version: 'metadataVersion' },
  runnerState: { doc: 'runnerStateJson', version: 'runnerStateVersion' },
} as const;

/** One SQLite file for the machine service; the id is the primary key (global uniqueness). */
export class SqliteMachineStore implements MachineStore {
  readonly outbox: SqliteOutbox;

  private constructor(private readonly db: SqliteDb) {
    this.outbox = new SqliteOutbox(db);
  }

  /** Opens (creating when absent) the file, renames columns of an older layout, makes the schema. */
  static async open(file: string): Promise<SqliteMachineStore> {
    const db = openSqlite(file);
    try {
      renameColumns(db, 'machines', OLD_COLUMNS);
      db.exec(SCHEMA);
    } catch (err) {
      db.close();
      throw err;
    }
    return new SqliteMachineStore(db);
  }

  private row(id: string): Row | undefined {
    return this.db.prepare('SELECT * FROM machines WHERE id = ?').get(id) as Row | undefined;
  }

  private rowIn(ns: Namespace, id: string): Row | undefined {
    return this.db.prepare('SELECT * FROM machines WHERE id = ? AND namespace = ?').get(id, ns) as Row | undefined;
  }

  async ownerOf(id: string): Promise<Namespace | null> {
    const r = this.db.prepare('SELECT namespace FROM machines WHERE id = ?').get(id) as { namespace: string } | undefined;
    return r ? parseNamespace(r.namespace) : null;
  }

  async get(ns: Namespace, id: string): Promise<MachineRecord | null> {
    const r = this.rowIn(ns, id);
    return r ? toRecord(r) : null;
  }

  async list(ns: Namespace, opts: { activeOnly: boolean }): Promise<MachineRecord[]> {
    const sql = `SELECT * FROM machines WHERE namespace = ?${opts.activeOnly ? ' AND active = 1' : ''} ORDER BY updatedAt DESC, id`;
    return (this.db.prepare(sql).all(ns) as Row[]).map(toRecord);
  }

  async count(ns: Namespace): Promise<number> {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM machines WHERE namespace = ?').get(ns) as { n: number }).n;
  }

  async insert(ns: Namespace, rec: MachineRecord): Promise<boolean> {
    try {
      this.db
        .prepare(
          `INSERT INTO machines (id, namespace, seq, createdAt, updatedAt, active, activeAt, metadataJson,
             metadataVersion, runnerStateJson, runnerStateVersion, healthJson)
           VALUES (@id, @namespace, @seq, @createdAt, @updatedAt, @active, @activeAt, @metadataJson,
             @metadataVersion, @runnerStateJson, @runnerStateVersion, @healthJson)`,
        )
        .run({ ...rec, namespace: ns, active: rec.active ? 1 : 0 });
      return true;
    } catch (err) {
      if (isSqliteUniqueViolation(err)) return false;
      throw err;
    }
  }

  async cas(ns: Namespace, id: string, input: CasInput): Promise<CasOutcome | null> {
    const col = COLUMNS[input.field];
    const active = input.markActive ? ', active = 1, activeAt = @now' : '';
    const res = this.db
      .prepare(
        `UPDATE machines SET ${col.doc} = @json, ${col.version} = ${col.version} + 1, seq = seq + 1, updatedAt = @now${active}
         WHERE id = @id AND namespace = @ns AND ${col.version} = @expected`,
      )
      .run({ json: input.json, now: input.now, id, ns, expected: input.expectedVersion });
    const r = this.rowIn(ns, id);
    if (!r) return null;
    return { ok: res.changes === 1, record: toRecord(r) };
  }

  async setActive(
    ns: Namespace,
    id: string,
    change: { active: boolean; at: number; healthJson: string | null },
  ): Promise<{ changed: boolean; record: MachineRecord } | null> {
    const res = change.active
      ? this.db
          .prepare('UPDATE machines SET active = 1, activeAt = @at, healthJson = @health WHERE id = @id AND namespace = @ns AND active = 0')
          .run({ at: change.at, health: change.healthJson, id, ns })
      : this.db
          .prepare('UPDATE machines SET active = 0, healthJson = @health WHERE id = @id AND namespace = @ns AND active = 1')
          .run({ health: change.healthJson, id, ns });
    const r = this.rowIn(ns, id);
    if (!r) return null;
    return { changed: res.changes === 1, record: toRecord(r) };
  }

  async setHealth(ns: Namespace, id: string, healthJson: string): Promise<MachineRecord | null> {
    this.db.prepare('UPDATE machines SET healthJson = ? WHERE id = ? AND namespace = ?').run(healthJson, id, ns);
    const r = this.rowIn(ns, id);
    return r ? toRecord(r) : null;
  }

  async adminList(ns: Namespace | null): Promise<MachineRecord[]> {
    const rows =
      ns === null
        ? this.db.prepare('SELECT * FROM machines ORDER BY namespace, updatedAt DESC, id').all()
        : this.db.prepare('SELECT * FROM machines WHERE namespace = ? ORDER BY updatedAt DESC, id').all(ns);
    return (rows as Row[]).map(toRecord);
  }

  async adminDelete(id: string): Promise<MachineRecord | null> {
    const r = this.row(id);
    if (!r) return null;
    const res = this.db.prepare('DELETE FROM machines WHERE id = ? AND namespace = ?').run(id, r.namespace);
    return res.changes === 1 ? toRecord(r) : null;
  }

  async adminTransfer(id: string, to: Namespace, now: number): Promise<MachineRecord | null> {
    this.db
      .prepare('UPDATE machines SET namespace = @to, active = 0, seq = seq + 1, updatedAt = @now WHERE id = @id')
      .run({ to, now, id });
    const r = this.row(id);
    return r ? toRecord(r) : null;
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
