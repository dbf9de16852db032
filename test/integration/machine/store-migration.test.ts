import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { SqliteMachineStore } from '../../../services/machine/store-sqlite.js';
import { ns } from '../../unit/machine/fakes.js';

/** The machine table as versions before the column rename wrote it (snake_case). */
const OLD_SCHEMA = `
  CREATE TABLE machines (
    id TEXT PRIMARY KEY, namespace TEXT NOT NULL, seq INTEGER NOT NULL, created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL, active INTEGER NOT NULL, active_at INTEGER NOT NULL, metadata TEXT,
    metadata_version INTEGER NOT NULL, runner_state TEXT, runner_state_version INTEGER NOT NULL, health TEXT
  );
  CREATE INDEX machines_ns_updated ON machines (namespace, updated_at DESC);
`;

describe('machine store on a SQLite file written with the old column names', () => {
  let dir: string;
  let file: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'teamhub-machine-migrate-'));
    file = path.join(dir, 'machine.db');
    const db = new Database(file);
    db.exec(OLD_SCHEMA);
    db.prepare(
      `INSERT INTO machines VALUES ('m-old', 'alice', 3, 100, 200, 1, 150, '{"host":"h","platform":"linux","happyCliVersion":"0.30.7"}', 2, '{"status":"running"}', 4, '{"cpu":1}')`,
    ).run();
    db.close();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('when opened, then the columns are renamed in place and the old machine reads back unchanged', async () => {
    const store = await SqliteMachineStore.open(file);
    try {
      expect(await store.get(ns('alice'), 'm-old')).to.deep.equal({
        id: 'm-old', namespace: 'alice', seq: 3, createdAt: 100, updatedAt: 200, active: true, activeAt: 150,
        metadataJson: '{"host":"h","platform":"linux","happyCliVersion":"0.30.7"}', metadataVersion: 2,
        runnerStateJson: '{"status":"running"}', runnerStateVersion: 4, healthJson: '{"cpu":1}',
      });
      expect(await store.ownerOf('m-old')).to.equal('alice');
      expect(await store.get(ns('bob'), 'm-old')).to.equal(null);
      const cas = await store.cas(ns('alice'), 'm-old', { field: 'runnerState', expectedVersion: 4, json: '{"status":"stopped"}', now: 300 });
      expect(cas).to.deep.include({ ok: true });
      expect(cas!.record).to.include({ runnerStateVersion: 5, seq: 4, updatedAt: 300 });
      expect((await store.list(ns('alice'), { activeOnly: true })).map((m) => m.id)).to.deep.equal(['m-old']);
    } finally {
      await store.close();
    }
    const db = new Database(file, { readonly: true });
    const cols = (db.prepare('PRAGMA table_info(machines)').all() as { name: string }[]).map((c) => c.name);
    const index = (db.prepare('PRAGMA index_info(machines_ns_updated)').all() as { name: string }[]).map((c) => c.name);
    db.close();
    expect(cols).to.deep.equal(['id', 'namespace', 'seq', 'createdAt', 'updatedAt', 'active', 'activeAt', 'metadataJson', 'metadataVersion', 'runnerStateJson', 'runnerStateVersion', 'healthJson']);
    expect(index).to.deep.equal(['namespace', 'updatedAt']);
  });

  it('when opened again after the rename, then nothing changes and the data is still there', async () => {
    const store = await SqliteMachineStore.open(file);
    try {
      expect((await store.get(ns('alice'), 'm-old'))!.runnerStateJson).to.equal('{"status":"stopped"}');
    } finally {
      await store.close();
    }
  });
});
