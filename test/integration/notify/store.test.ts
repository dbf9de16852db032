import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SqliteNotifyStore } from '../../../services/notify/store-sqlite.js';
import { MongoNotifyStore } from '../../../services/notify/store-mongo.js';
import { startMongo, type MongoServer } from '../../helpers/mongo-server.js';
import { notifyStoreContract } from './store-contract.js';

describe('notify store contract: SQLite', () => {
  let dir: string;
  let i = 0;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'teamhub-notify-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  notifyStoreContract(async () => {
    const file = path.join(dir, `notify-${i++}.db`);
    await (await SqliteNotifyStore.open(file)).close();
    return SqliteNotifyStore.open(file); // opening again is harmless (schema made if missing)
  });
});

describe('notify store contract: MongoDB (jongodb)', function () {
  this.timeout(60_000);
  let mongo: MongoServer;
  before(async () => {
    mongo = await startMongo();
  });
  after(async () => {
    await mongo?.stop();
  });

  notifyStoreContract(async () => {
    const db = mongo.freshDbName();
    await (await MongoNotifyStore.open(mongo.url, db)).close();
    return MongoNotifyStore.open(mongo.url, db); // indexes made again: idempotent
  });
});
