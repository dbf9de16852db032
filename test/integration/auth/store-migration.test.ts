import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { parseNamespace } from '../../../lib/namespace.js';
import { SqliteAuthStore } from '../../../services/auth/store-sqlite.js';

/** The auth tables as versions before the column rename wrote them (snake_case). */
const OLD_SCHEMA = `
  CREATE TABLE secrets (id INTEGER PRIMARY KEY CHECK (id = 1), doc TEXT NOT NULL);
  CREATE TABLE namespaces (name TEXT PRIMARY KEY, label TEXT NOT NULL, token_hash TEXT NOT NULL UNIQUE, created_at INTEGER NOT NULL,
    last_used_at INTEGER, rotated_at INTEGER, revoked INTEGER NOT NULL);
  CREATE TABLE throttles (addr TEXT PRIMARY KEY, count INTEGER NOT NULL, window_start INTEGER NOT NULL, version INTEGER NOT NULL);
  CREATE TABLE audit (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, at INTEGER NOT NULL, action TEXT NOT NULL,
    namespace TEXT, client_addr TEXT NOT NULL, outcome TEXT NOT NULL, actor TEXT NOT NULL, detail TEXT NOT NULL);
  CREATE INDEX audit_ns_at ON audit (namespace, at DESC);
  CREATE INDEX audit_at ON audit (at DESC);
  CREATE TABLE revoked_jtis (jti TEXT PRIMARY KEY, namespace TEXT NOT NULL, expires_at INTEGER NOT NULL);
  CREATE TABLE revoked_before (namespace TEXT PRIMARY KEY, sec INTEGER NOT NULL);
  CREATE TABLE telegram_bindings (telegram_user_id INTEGER PRIMARY KEY, namespace TEXT NOT NULL, created_at INTEGER NOT NULL);
  CREATE INDEX telegram_ns ON telegram_bindings (namespace);
`;

const SECRETS = { baseToken: 'b'.repeat(20), adminToken: 'a'.repeat(20), jwtKey: 'k'.repeat(43), internalSecret: 'i'.repeat(20), ownerId: 7, createdAt: 1 };

describe('auth store on a SQLite file written with the old column names', () => {
  let dir: string;
  let file: string;
  const alice = parseNamespace('alice');
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'teamhub-auth-migrate-'));
    file = path.join(dir, 'auth.db');
    const db = new Database(file);
    db.exec(OLD_SCHEMA);
    db.prepare('INSERT INTO secrets VALUES (1, ?)').run(JSON.stringify(SECRETS));
    db.prepare("INSERT INTO namespaces VALUES ('alice', 'Alice', 'hash-a', 10, 20, NULL, 0)").run();
    db.prepare("INSERT INTO throttles VALUES ('10.0.0.9', 3, 500, 2)").run();
    db.prepare("INSERT INTO audit (id, at, action, namespace, client_addr, outcome, actor, detail) VALUES ('e1', 30, 'login', 'alice', '10.0.0.1', 'ok', 'base', '')").run();
    db.prepare("INSERT INTO revoked_jtis VALUES ('jti-1', 'alice', 9999999999)").run();
    db.prepare("INSERT INTO telegram_bindings VALUES (4242, 'alice', 40)").run();
    db.close();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('when opened, then every table keeps its rows under the new column names and the store works on them', async () => {
    const store = await SqliteAuthStore.open(file);
    try {
      expect(await store.getOrCreateSecrets({ ...SECRETS, baseToken: 'other-token-000000' })).to.deep.equal(SECRETS);
      expect(await store.getNamespace(alice)).to.deep.equal({ name: 'alice', label: 'Alice', tokenHash: 'hash-a', createdAt: 10, lastUsedAt: 20, rotatedAt: null, revoked: false });
      expect((await store.findNamespaceByTokenHash('hash-a'))?.name).to.equal('alice');
      expect(await store.getThrottle('10.0.0.9')).to.deep.equal({ addr: '10.0.0.9', count: 3, windowStart: 500, version: 2 });
      expect(await store.casThrottle('10.0.0.9', 2, { count: 4, windowStart: 500 })).to.equal(true);
      expect((await store.listAudit(alice, { limit: 10 })).map((e) => [e.id, e.clientAddr])).to.deep.equal([['e1', '10.0.0.1']]);
      expect((await store.listRevokedJtis(0)).map((r) => r.jti)).to.deep.equal(['jti-1']);
      expect(await store.getTelegramBinding(4242)).to.deep.equal({ telegramUserId: 4242, namespace: 'alice', createdAt: 40 });
      expect(await store.listTelegramRecipients(alice)).to.deep.equal([4242]);
      expect(await store.rotateNamespaceToken(alice, 'hash-b', 50)).to.equal(true);
    } finally {
      await store.close();
    }
    const db = new Database(file, { readonly: true });
    const cols = (t: string) => (db.prepare(`PRAGMA table_info(${t})`).all() as { name: string }[]).map((c) => c.name);
    expect(cols('namespaces')).to.deep.equal(['name', 'label', 'tokenHash', 'createdAt', 'lastUsedAt', 'rotatedAt', 'revoked']);
    expect(cols('throttles')).to.deep.equal(['addr', 'count', 'windowStart', 'version']);
    expect(cols('audit')).to.include('clientAddr').and.not.include('client_addr');
    expect(cols('revoked_jtis')).to.deep.equal(['jti', 'namespace', 'expiresAt']);
    expect(cols('telegram_bindings')).to.deep.equal(['telegramUserId', 'namespace', 'createdAt']);
    db.close();
  });

  it('when opened again, then the renamed data is read as it was left', async () => {
    const store = await SqliteAuthStore.open(file);
    try {
      expect((await store.findNamespaceByTokenHash('hash-b'))?.rotatedAt).to.equal(50);
      expect((await store.getThrottle('10.0.0.9'))?.count).to.equal(4);
    } finally {
      await store.close();
    }
  });
});
