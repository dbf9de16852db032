import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startMongo, type MongoServer } from '../../helpers/mongo-server.js';
import { SqliteSessionStore } from '../../../services/session/store-sqlite.js';
import { MongoSessionStore } from '../../../services/session/store-mongo.js';
import { messageStoreContract } from './message-store-contract.js';

messageStoreContract('sqlite (temp file)', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'teamhub-messages-'));
  const store = await SqliteSessionStore.open(path.join(dir, 'session.db'));
  return {
    store,
    cleanup: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

let mongo: MongoServer | undefined;
messageStoreContract('mongo (jongodb, fresh db)', async () => {
  mongo = await startMongo();
  const store = await MongoSessionStore.open(mongo.url, mongo.freshDbName());
  return {
    store,
    cleanup: async () => {
      await store.close();
      await mongo?.stop();
    },
  };
});
