import { openSqlite, isSqliteUniqueViolation, type SqliteDb } from '../../lib/store/sqlite.js';
import type { Namespace } from '../../lib/namespace.js';
import type { CasInput, CasOutcome, MachineRecord, MachineStore } from './store.js';

interface Row {
  id: string;
  namespace: string;
  seq: number;
  created_at: number;
  updated_at: number;
  active: number;
  active_at: number;
  metadata: string | null;
  metadata_version: number;
  runner_state: string | null;
  runner_state_version: number;
  health: string | null;
}

function toRecord(r: Row): MachineRecord {
  return {
    id: r.id,
    namespace: r.namespace as Namespace,
    seq: r.seq,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    active: r.active === 1,
    activeAt: r.active_at,
    metadataJson: r.metadata,
    metadataVersion: r.metadata_version,
    runnerStateJson: r.runner_state,
    runnerStateVersion: r.runner_state_version,
    healthJson: r.health,
  };
}

const COLUMNS = {
  metadata: { doc: 'metadata', version: 'metadata_version' },
  runnerState: { doc: 'runner_state', version: 'runner_state_version' },
} as const;

/** One SQLite file for the machine service; the id is the primary key (global uniqueness). */
export class SqliteMachineStore implements MachineStore {
  constructor(private readonly db: SqliteDb) {}

  static open(file: string): SqliteMachineStore {
    return new SqliteMachineStore(openSqlite(file));
  }

  async init(): Promise<void> {
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS machines (
        id TEXT PRIMARY KEY,
        namespace TEXT NOT NULL,
        seq INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        active INTEGER NOT NULL,
        active_at INTEGER NOT NULL,
        metadata TEXT,
        metadata_version INTEGER NOT NULL,
        runner_state TEXT,
        runner_state_version INTEGER NOT NULL,
        health TEXT
      );
      CREATE INDEX IF NOT EXISTS machines_ns_updated ON machines (namespace, updated_at DESC);
    `);
  }

  private row(id: string): Row | undefined {
    return this.db.prepare('SELECT * FROM machines WHERE id = ?').get(id) as Row | undefined;
  }

  private rowIn(ns: Namespace, id: string): Row | undefined {
    return this.db.prepare('SELECT * FROM machines WHERE id = ? AND namespace = ?').get(id, ns) as Row | undefined;
  }

  async ownerOf(id: string): Promise<Namespace | null> {
    const r = this.db.prepare('SELECT namespace FROM machines WHERE id = ?').get(id) as { namespace: string } | undefined;
    return r ? (r.namespace as Namespace) : null;
  }

  async get(ns: Namespace, id: string): Promise<MachineRecord | null> {
    const r = this.rowIn(ns, id);
    return r ? toRecord(r) : null;
  }

  async list(ns: Namespace, opts: { activeOnly: boolean }): Promise<MachineRecord[]> {
    const sql = `SELECT * FROM machines WHERE namespace = ?${opts.activeOnly ? ' AND active = 1' : ''} ORDER BY updated_at DESC, id`;
    return (this.db.prepare(sql).all(ns) as Row[]).map(toRecord);
  }

  async insert(ns: Namespace, rec: MachineRecord): Promise<boolean> {
    try {
      this.db
        .prepare(
          `INSERT INTO machines (id, namespace, seq, created_at, updated_at, active, active_at, metadata,
             metadata_version, runner_state, runner_state_version, health)
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
    const active = input.markActive ? ', active = 1, active_at = @now' : '';
    const res = this.db
      .prepare(
        `UPDATE machines SET ${col.doc} = @json, ${col.version} = ${col.version} + 1, seq = seq + 1, updated_at = @now${active}
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
          .prepare('UPDATE machines SET active = 1, active_at = @at, health = @health WHERE id = @id AND namespace = @ns AND active = 0')
          .run({ at: change.at, health: change.healthJson, id, ns })
      : this.db
          .prepare('UPDATE machines SET active = 0, health = @health WHERE id = @id AND namespace = @ns AND active = 1')
          .run({ health: change.healthJson, id, ns });
    const r = this.rowIn(ns, id);
    if (!r) return null;
    return { changed: res.changes === 1, record: toRecord(r) };
  }

  async setHealth(ns: Namespace, id: string, healthJson: string): Promise<MachineRecord | null> {
    this.db.prepare('UPDATE machines SET health = ? WHERE id = ? AND namespace = ?').run(healthJson, id, ns);
    const r = this.rowIn(ns, id);
    return r ? toRecord(r) : null;
  }

  async adminList(ns: Namespace | null): Promise<MachineRecord[]> {
    const rows =
      ns === null
        ? this.db.prepare('SELECT * FROM machines ORDER BY namespace, updated_at DESC, id').all()
        : this.db.prepare('SELECT * FROM machines WHERE namespace = ? ORDER BY updated_at DESC, id').all(ns);
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
      .prepare('UPDATE machines SET namespace = @to, active = 0, seq = seq + 1, updated_at = @now WHERE id = @id')
      .run({ to, now, id });
    const r = this.row(id);
    return r ? toRecord(r) : null;
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
