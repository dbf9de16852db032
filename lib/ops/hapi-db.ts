import Database from 'better-sqlite3';
import { decompress } from 'fzstd';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';

/** The schema version (SQLite `user_version`) of HAPI 0.30.x's hub database, the one we read. */
export const HAPI_SCHEMA_VERSION = 26;

export class HapiDbError extends Error {}

/**
 * A message's content as JSON text. HAPI 0.30.x stores a content of 256 characters or more as a
 * zstd-compressed BLOB when that is smaller, and as text otherwise. Node 20 has no zstd in zlib,
 * so the `fzstd` decoder reads it.
 */
function messageContentJson(raw: unknown, where: string): string {
  if (!(raw instanceof Uint8Array)) return String(raw);
  try {
    return Buffer.from(decompress(raw)).toString('utf8');
  } catch (err) {
    throw new HapiDbError(`${where}: its compressed content cannot be read (${(err as Error).message})`);
  }
}

/** A HAPI_HOME (its `hapi.db`) or the database file itself. */
export function hapiDbPath(given: string): string {
  const p = path.resolve(given);
  if (!existsSync(p)) throw new HapiDbError(`${given} does not exist`);
  const file = statSync(p).isDirectory() ? path.join(p, 'hapi.db') : p;
  if (!existsSync(file)) throw new HapiDbError(`${p} has no hapi.db: is it a HAPI_HOME?`);
  return file;
}

export interface HapiSession {
  namespace: string;
  session: {
    id: string;
    tag: string;
    seq: number;
    createdAt: number;
    updatedAt: number;
    activeAt: number;
    metadataJson: string | null;
    metadataVersion: number;
    agentStateJson: string | null;
    agentStateVersion: number;
    todosJson: string | null;
    todosUpdatedAt: number;
    teamStateJson: string | null;
    teamStateUpdatedAt: number;
    model: string | null;
    modelReasoningEffort: string | null;
    effort: string | null;
    serviceTier: string | null;
    pinned: boolean;
    globalPinned: boolean;
  };
}

export interface HapiMessage {
  id: string;
  seq: number;
  createdAt: number;
  localId: string | null;
  contentJson: string;
  invokedAt: number | null;
}

export interface HapiMachine {
  namespace: string;
  machine: {
    id: string;
    seq: number;
    createdAt: number;
    updatedAt: number;
    activeAt: number;
    metadataJson: string | null;
    metadataVersion: number;
    runnerStateJson: string | null;
    runnerStateVersion: number;
  };
}

export interface HapiTelegramBinding {
  namespace: string;
  telegramUserId: number;
  createdAt: number;
}

const ROW_PAGE = 200;

const num = (v: unknown): number => (typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : 0);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/**
 * HAPI's hub database, read only: opened read-only (a running HAPI hub keeps writing; we see one
 * committed state per query) and refused unless its schema is the version this reader knows.
 * Rows are iterated, never loaded whole, so a database of any size is read in constant memory.
 */
export class HapiDatabase {
  private readonly db: Database.Database;

  constructor(readonly file: string) {
    try {
      this.db = new Database(file, { readonly: true, fileMustExist: true });
    } catch (err) {
      throw new HapiDbError(`cannot open ${file} as a SQLite database: ${(err as Error).message}`);
    }
    let version: unknown;
    try {
      version = this.db.pragma('user_version', { simple: true });
    } catch (err) {
      this.db.close();
      throw new HapiDbError(`${file} is not a SQLite database: ${(err as Error).message}`);
    }
    if (version !== HAPI_SCHEMA_VERSION) {
      this.db.close();
      throw new HapiDbError(
        `${file} has HAPI schema version ${String(version)}; teamhub imports HAPI 0.30.x databases (schema version ${HAPI_SCHEMA_VERSION}). Upgrade the HAPI hub to 0.30.x and start it once, then import again.`,
      );
    }
  }

  counts(): { sessions: number; messages: number; machines: number; telegramBindings: number } {
    const n = (sql: string) => num((this.db.prepare(sql).get() as { n: unknown }).n);
    return {
      sessions: n('SELECT COUNT(*) AS n FROM sessions'),
      messages: n('SELECT COUNT(*) AS n FROM messages'),
      machines: n('SELECT COUNT(*) AS n FROM machines'),
      telegramBindings: n("SELECT COUNT(*) AS n FROM users WHERE platform = 'telegram'"),
    };
  }

  /**
   * Rows of `table` by (created_at, id), a page at a time: no statement stays open between pages,
   * so the caller may run other queries (and wait on the network) while it walks them.
   */
  private *rowsOf(table: 'sessions' | 'machines'): Generator<Record<string, unknown>> {
    const page = this.db.prepare(`SELECT * FROM ${table} WHERE created_at > @at OR (created_at = @at AND id > @id) ORDER BY created_at, id LIMIT ${ROW_PAGE}`);
    let at = -1;
    let id = '';
    for (;;) {
      const rows = page.all({ at, id }) as Record<string, unknown>[];
      yield* rows;
      if (rows.length < ROW_PAGE) return;
      const last = rows[rows.length - 1]!;
      at = num(last.created_at);
      id = String(last.id);
    }
  }

  *sessions(): Generator<HapiSession> {
    for (const r of this.rowsOf('sessions')) {
      yield {
        namespace: String(r.namespace),
        session: {
          id: String(r.id),
          // HAPI allows a session without a tag; teamhub's are never empty: the id stands in.
          tag: str(r.tag) || String(r.id),
          seq: num(r.seq),
          createdAt: num(r.created_at),
          updatedAt: num(r.updated_at),
          activeAt: num(r.active_at),
          metadataJson: str(r.metadata),
          metadataVersion: num(r.metadata_version) || 1,
          agentStateJson: str(r.agent_state),
          agentStateVersion: num(r.agent_state_version) || 1,
          todosJson: str(r.todos),
          todosUpdatedAt: num(r.todos_updated_at),
          teamStateJson: str(r.team_state),
          teamStateUpdatedAt: num(r.team_state_updated_at),
          model: str(r.model),
          modelReasoningEffort: str(r.model_reasoning_effort),
          effort: str(r.effort),
          serviceTier: str(r.service_tier),
          pinned: num(r.pinned) !== 0,
          globalPinned: num(r.global_pinned) !== 0,
        },
      };
    }
  }

  /** A session's messages in their order (seq), in pages of at most `pageSize`. */
  *messagePages(sessionId: string, pageSize: number): Generator<HapiMessage[]> {
    const page = this.db.prepare('SELECT id, seq, created_at, local_id, content, invoked_at FROM messages WHERE session_id = ? AND seq > ? ORDER BY seq LIMIT ?');
    let after = -1;
    for (;;) {
      const rows = page.all(sessionId, after, pageSize) as Record<string, unknown>[];
      if (rows.length === 0) return;
      yield rows.map((r) => ({
        id: String(r.id),
        seq: num(r.seq),
        createdAt: num(r.created_at),
        localId: str(r.local_id),
        contentJson: messageContentJson(r.content, `message ${String(r.id)} of session ${sessionId}`),
        invokedAt: r.invoked_at === null || r.invoked_at === undefined ? null : num(r.invoked_at),
      }));
      after = num(rows[rows.length - 1]!.seq);
      if (rows.length < pageSize) return;
    }
  }

  *machines(): Generator<HapiMachine> {
    for (const r of this.rowsOf('machines')) {
      yield {
        namespace: String(r.namespace),
        machine: {
          id: String(r.id),
          seq: num(r.seq),
          createdAt: num(r.created_at),
          updatedAt: num(r.updated_at),
          activeAt: num(r.active_at),
          metadataJson: str(r.metadata),
          metadataVersion: num(r.metadata_version) || 1,
          runnerStateJson: str(r.runner_state),
          runnerStateVersion: num(r.runner_state_version) || 1,
        },
      };
    }
  }

  *telegramBindings(): Generator<HapiTelegramBinding> {
    // A team's handful of bindings: read at once.
    const rows = this.db.prepare("SELECT platform_user_id, namespace, created_at FROM users WHERE platform = 'telegram' ORDER BY id").all() as Record<string, unknown>[];
    for (const r of rows) {
      const id = Number(r.platform_user_id);
      // HAPI keeps the Telegram user id as text; one that is not a positive integer is not a Telegram id.
      if (!Number.isSafeInteger(id) || id <= 0) continue;
      yield { namespace: String(r.namespace), telegramUserId: id, createdAt: num(r.created_at) };
    }
  }

  close(): void {
    this.db.close();
  }
}
