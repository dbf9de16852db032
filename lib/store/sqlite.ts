import Database from 'better-sqlite3';
import { mkdirSync, chmodSync, existsSync } from 'node:fs';
import path from 'node:path';

export type SqliteDb = Database.Database;

/** Distinct SQL texts kept compiled per file; the stores use a few dozen (some built from a patch's fields). */
const STATEMENT_CACHE_SIZE = 256;

/**
 * Makes `db.prepare` compile each SQL text once and hand back the same statement after that.
 * The stores call `prepare` inside every method (so each method reads as its SQL); compiling
 * again on each call was 8-16% of the session service's CPU under load. Sharing a statement is
 * safe here because every call runs it to completion synchronously and no store changes a
 * statement's mode (`pluck`, `raw`, `expand`, `bind`), which a unit test checks.
 */
function cacheStatements(db: SqliteDb): void {
  const compile = db.prepare.bind(db);
  const cache = new Map<string, Database.Statement>();
  db.prepare = ((sql: string) => {
    let stmt = cache.get(sql);
    if (stmt) {
      // Most recently used last, so the oldest is the one dropped when the cache is full.
      cache.delete(sql);
    } else {
      stmt = compile(sql);
      if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
    }
    cache.set(sql, stmt);
    return stmt;
  }) as SqliteDb['prepare'];
}

/**
 * Opens (creating when absent) one service's SQLite file with WAL, so a crash loses nothing that
 * was acknowledged. `:memory:` is accepted for unit tests.
 */
export function openSqlite(file: string): SqliteDb {
  if (file !== ':memory:') {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  }
  const fresh = file !== ':memory:' && !existsSync(file);
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  // FULL: an acknowledged write survives power loss, not only a process crash.
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  if (fresh) chmodSync(file, 0o600);
  cacheStatements(db);
  return db;
}

export function isSqliteUniqueViolation(err: unknown): boolean {
  return (err as { code?: string })?.code === 'SQLITE_CONSTRAINT_UNIQUE' || (err as { code?: string })?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
