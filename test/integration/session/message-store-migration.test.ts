import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { MongoClient } from 'mongodb';
import { startMongo, type MongoServer } from '../../helpers/mongo-server.js';
import { MongoSessionStore } from '../../../services/session/store-mongo.js';
import { readMessagesPage } from '../../../services/session/message-page.js';
import { SqliteSessionStore } from '../../../services/session/store-sqlite.js';
import type { Namespace } from '../../../lib/namespace.js';
import { sessionRecord } from './store-contract.js';

/** The messages table as versions before scheduled delivery and delivery states wrote it. */
const OLD_MESSAGES = `
CREATE TABLE messages (
  id TEXT PRIMARY KEY, namespace TEXT NOT NULL, sessionId TEXT NOT NULL, seq INTEGER NOT NULL, createdAt INTEGER NOT NULL,
  localId TEXT, contentJson TEXT NOT NULL, invokedAt INTEGER,
  UNIQUE (namespace, sessionId, seq), UNIQUE (namespace, sessionId, localId)
);`;

const alice = 'alice' as Namespace;

describe('session store on a SQLite file written before scheduled delivery', () => {
  let dir: string;
  let file: string;
  const session = sessionRecord(alice, { lastMessageSeq: 2 });

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'teamhub-session-migrate-'));
    file = path.join(dir, 'session.db');
    const db = new Database(file);
    db.exec(OLD_MESSAGES);
    db.prepare(`INSERT INTO messages VALUES ('m1', 'alice', ?, 1, 100, NULL, '{"role":"agent"}', 100)`).run(session.id);
    db.prepare(`INSERT INTO messages VALUES ('m2', 'alice', ?, 2, 50, 'L', '{"role":"user"}', NULL)`).run(session.id);
    db.close();
    const store = await SqliteSessionStore.open(file);
    await store.insertSession(session);
    await store.close();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('when opened, then the old messages read back queued with no schedule, ordered by their positions, and new ones append after them', async () => {
    const store = await SqliteSessionStore.open(file);
    try {
      const page = await readMessagesPage(store, alice, session.id, { limit: 10 });
      expect(page.messages.map((m) => [m.id, m.scheduledAt, m.deliveryState, m.deliveryMode])).to.deep.equal([
        ['m2', null, 'queued', null],
        ['m1', null, 'queued', null],
      ]);
      expect(page.snapshotHead).to.deep.equal({ at: 100, seq: 1 });
      expect(page.epoch).to.equal(0);
      expect(await store.markConsumed(alice, session.id, ['L'], 200)).to.deep.equal(['L']);
      const appended = await store.appendMessage(alice, { id: 'm3', namespace: alice, sessionId: session.id, createdAt: 300, localId: null, contentJson: '{}', invokedAt: 300, scheduledAt: null, deliveryState: 'queued', deliveryMode: null });
      expect(appended?.message.seq).to.equal(3);
      expect((await readMessagesPage(store, alice, session.id, { limit: 10 })).messages.map((m) => m.id)).to.deep.equal(['m1', 'm2', 'm3']);
    } finally {
      await store.close();
    }
    const db = new Database(file, { readonly: true });
    const indexes = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'messages'").all() as { name: string }[]).map((r) => r.name);
    db.close();
    expect(indexes).to.include.members(['messages_position', 'messages_queued', 'messages_due']);
  });

  it('when opened again, then nothing changes and the data is still there', async () => {
    const store = await SqliteSessionStore.open(file);
    try {
      expect((await store.findMessage(alice, session.id, 'L'))?.invokedAt).to.equal(200);
      expect(await store.newestPosition(alice, session.id)).to.deep.equal({ at: 300, seq: 3 });
    } finally {
      await store.close();
    }
  });
});

describe('session store on MongoDB documents written before scheduled delivery', () => {
  let mongo: MongoServer;
  before(async () => {
    mongo = await startMongo();
  });
  after(async () => mongo?.stop());

  it('when opened, then old messages get their positions and read back queued with no schedule', async () => {
    const dbName = mongo.freshDbName();
    const session = sessionRecord(alice);
    const client = new MongoClient(mongo.url);
    await client.connect();
    const { id, ...rest } = session;
    await client.db(dbName).collection('sessions').insertOne({ _id: id as never, ...rest });
    await client.db(dbName).collection('messages').insertMany([
      { _id: 'm1' as never, namespace: alice, sessionId: session.id, seq: 1, createdAt: 100, localId: null, contentJson: '{}', invokedAt: 100, localKey: 'm:m1' },
      { _id: 'm2' as never, namespace: alice, sessionId: session.id, seq: 2, createdAt: 50, localId: 'L', contentJson: '{}', invokedAt: null, localKey: 'l:L' },
    ]);
    await client.close();
    const store = await MongoSessionStore.open(mongo.url, dbName);
    try {
      const page = await readMessagesPage(store, alice, session.id, { limit: 10 });
      expect(page.messages.map((m) => [m.id, m.scheduledAt, m.deliveryState])).to.deep.equal([
        ['m2', null, 'queued'],
        ['m1', null, 'queued'],
      ]);
      expect((await store.queuedMessages(alice, session.id, 10)).map((m) => m.id)).to.deep.equal(['m2']);
    } finally {
      await store.close();
    }
  });
});
