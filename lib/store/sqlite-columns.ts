import type { SqliteDb } from './sqlite.js';

/**
 * Renames columns of an existing table in place (`ALTER TABLE … RENAME COLUMN`, which also
 * updates its indexes), so a data dir written by an older version keeps working after a column
 * was renamed. Only renames a column that is there under its old name and absent under the new
 * one, so running it on every open is harmless. Returns how many columns were renamed.
 */
export function renameColumns(db: SqliteDb, table: string, renames: Readonly<Record<string, string>>): number {
  const present = new Set((db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((c) => c.name));
  let renamed = 0;
  const run = db.transaction(() => {
    for (const [from, to] of Object.entries(renames)) {
      if (!present.has(from) || present.has(to)) continue;
      db.exec(`ALTER TABLE ${table} RENAME COLUMN ${from} TO ${to}`);
      renamed++;
    }
  });
  run.immediate();
  return renamed;
}

/**
 * Adds columns an older version's table lacks (`ALTER TABLE … ADD COLUMN <name> <definition>`),
 * so a data dir written before a field existed keeps working; each definition needs a default
 * for the rows already there. Columns already present are left alone, so running it on every
 * open is harmless. Returns how many columns were added.
 */
export function addMissingColumns(db: SqliteDb, table: string, columns: Readonly<Record<string, string>>): number {
  const present = new Set((db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((c) => c.name));
  let added = 0;
  const run = db.transaction(() => {
    for (const [name, definition] of Object.entries(columns)) {
      if (present.has(name)) continue;
      db.exec(`ALTER TABLE ${table} ADD COLUMN ${name} ${definition}`);
      added++;
    }
  });
  run.immediate();
  return added;
}
