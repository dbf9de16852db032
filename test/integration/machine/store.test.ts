import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { MongoClient } from 'mongodb';
import { connectMongo } from '../../../lib/store/mongo.js';
import { SqliteMachineStore } from '../../../services/machine/store-sqlite.js';
import { MongoMachineStore } from '../../../services/machine/store-mongo.js';
import { startMongo, type MongoServer } from '../../helpers/mongo-server.js';
import { machineStoreContract } from './store-contract.js';

describe('machine store contract: SQLite', () => {
  let dir: string;
  let i = 0;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'teamhub-machine-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  machineStoreContract(async () => {
    const store = SqliteMachineStore.open(path.join(dir, `machine-${i++}.db`));
    await store.init();
    await store.init(); // idempotent
    return store;
  });
});

describe('machine store contract: MongoDB (jongodb)', function () {
  this.timeout(60_000);
  let mongo: MongoServer;
  let client: MongoClient;
  before(async () => {
    mongo = await startMongo();
    client = (await connectMongo(mongo.url, mongo.freshDbName())).client;
  });
  after(async () => {
    await client?.close();
    await mongo?.stop();
  });

  machineStoreContract(async () => {
    const store = new MongoMachineStore(client.db(mongo.freshDbName()));
    await store.init();
    await store.init();
    return store;
  });
});
