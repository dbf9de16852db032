import Database from 'better-sqlite3';
import { mkdirSync, chmodSync, existsSync } from 'node:fs';
import path from 'node:path';

export type SqliteDb = Database.Database;

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
  return db;
}

export function isSqliteUniqueViolation(err: unknown): boolean {
  return (err as { code?: string })?.code === 'SQLITE_CONSTRAINT_UNIQUE' || (err as { code?: string })?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
