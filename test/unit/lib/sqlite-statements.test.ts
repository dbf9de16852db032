import { expect } from 'chai';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openSqlite } from '../../../lib/store/sqlite.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** Every .ts file under `dir` (product code only: no generated code). */
function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) {
      if (name !== 'gen') out.push(...sources(full));
    } else if (name.endsWith('.ts')) out.push(full);
  }
  return out;
}

describe('SQLite statements compiled once per file', () => {
  it('when the same SQL is prepared twice, then the one compiled statement is handed back and runs with new parameters', () => {
    const db = openSqlite(':memory:');
    db.exec('CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER)');
    const insert = db.prepare('INSERT INTO t (k, v) VALUES (?, ?)');
    insert.run('a', 1);
    expect(db.prepare('INSERT INTO t (k, v) VALUES (?, ?)')).to.equal(insert);
    db.prepare('INSERT INTO t (k, v) VALUES (?, ?)').run('b', 2);
    expect(db.prepare('SELECT v FROM t WHERE k = ?').get('b')).to.deep.equal({ v: 2 });
    expect(db.prepare('SELECT v FROM t WHERE k = ?').get('a')).to.deep.equal({ v: 1 });
    db.close();
  });

  it('when more distinct SQL texts are prepared than the cache keeps, then every one still runs and the oldest is compiled again', () => {
    const db = openSqlite(':memory:');
    const first = db.prepare('SELECT 0 AS n');
    for (let i = 1; i <= 300; i++) expect(db.prepare(`SELECT ${i} AS n`).get()).to.deep.equal({ n: i });
    const again = db.prepare('SELECT 0 AS n');
    expect(again).to.not.equal(first);
    expect(again.get()).to.deep.equal({ n: 0 });
    db.close();
  });

  it('when a prepared statement inside a transaction fails, then the next call of the same SQL runs normally', () => {
    const db = openSqlite(':memory:');
    db.exec('CREATE TABLE t (k TEXT PRIMARY KEY)');
    const add = (k: string) => db.prepare('INSERT INTO t (k) VALUES (?)').run(k);
    add('a');
    expect(() => db.transaction(() => add('a')).immediate()).to.throw(/UNIQUE/);
    add('b');
    expect(db.prepare('SELECT COUNT(*) AS n FROM t').get()).to.deep.equal({ n: 2 });
    db.close();
  });

  it('when product code uses a statement, then it never changes the shared statement\'s mode', () => {
    const files = ['lib', 'services', 'gateway', 'scripts'].flatMap((d) => sources(path.join(REPO_ROOT, d)));
    const offenders = files.filter((f) => {
      const text = readFileSync(f, 'utf8').replace(/db\.prepare\.bind\(db\)/g, '');
      return text.includes('.prepare(') && /\.(pluck|raw|expand|bind|safeIntegers)\(/.test(text);
    });
    expect(offenders.map((f) => path.relative(REPO_ROOT, f))).to.deep.equal([]);
  });
});
