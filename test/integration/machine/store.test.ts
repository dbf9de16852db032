import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
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
    const file = path.join(dir, `machine-${i++}.db`);
    await (await SqliteMachineStore.open(file)).close();
    return SqliteMachineStore.open(file); // opening again is harmless (schema made if missing)
  });
});

describe('machine store contract: MongoDB (jongodb)', function () {
  this.timeout(60_000);
  let mongo: MongoServer;
  before(async () => {
    mongo = await startMongo();
  });
  after(async () => {
    await mongo?.stop();
  });

  machineStoreContract(async () => {
    const db = mongo.freshDbName();
    await (await MongoMachineStore.open(mongo.url, db)).close();
    return MongoMachineStore.open(mongo.url, db); // indexes made again: idempotent
  });
});
