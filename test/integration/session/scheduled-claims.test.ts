import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Namespace } from '../../../lib/namespace.js';
import { MongoSessionStore } from '../../../services/session/store-mongo.js';
import { SqliteSessionStore } from '../../../services/session/store-sqlite.js';
import type { SessionStore } from '../../../services/session/store.js';
import { startMongo, type MongoServer } from '../../helpers/mongo-server.js';
import { newMessage, sessionRecord } from './store-contract.js';

const alice = 'alice' as Namespace;
const ROUNDS = 5;
const PER_ROUND = 20;

/**
 * Two replicas of the session service, each with its own connection to one store (as two
 * processes have), claiming the same due messages at the same moment: a claim is a
 * compare-and-swap, so every message is claimed by exactly one of them, whatever the interleaving
 * of their requests.
 */
function concurrentClaims(name: string, open: () => Promise<{ stores: [SessionStore, SessionStore]; cleanup: () => Promise<void> }>): void {
  describe(`scheduled claims across two store connections: ${name}`, function () {
    this.timeout(60_000);
    let stores: [SessionStore, SessionStore];
    let cleanup: () => Promise<void>;
    before(async () => {
      ({ stores, cleanup } = await open());
    });
    after(async () => cleanup());

    it('when both replicas claim the same due messages at once, then each message is claimed by exactly one claim', async () => {
      const [a, b] = stores;
      const s = sessionRecord(alice);
      await a.insertSession(s);
      for (let round = 0; round < ROUNDS; round++) {
        const due = 1_000 + round;
        const ids: string[] = [];
        for (let i = 0; i < PER_ROUND; i++) {
          const m = await a.appendMessage(alice, newMessage(alice, s.id, { createdAt: 10, localId: `r${round}-${i}`, scheduledAt: due }));
          ids.push(m!.message.id);
        }
        // Four claimers, two per connection, one message per call (as a busy replica claims).
        const claimers = [a, b, a, b].map((store, i) => (async () => {
          const mine: string[] = [];
          for (;;) {
            const got = await store.claimDueScheduled(due, due + 30_000, `t${round}-${i}`, 1);
            if (got.length === 0) return mine;
            mine.push(...got.map((m) => m.id));
          }
        })());
        const claimed = (await Promise.all(claimers)).flat();
        expect([...claimed].sort(), `round ${round}: each message claimed once`).to.deep.equal([...ids].sort());
      }
    });
  });
}

concurrentClaims('sqlite (one file, two connections)', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'teamhub-claims-'));
  const file = path.join(dir, 'session.db');
  const stores: [SessionStore, SessionStore] = [await SqliteSessionStore.open(file), await SqliteSessionStore.open(file)];
  return {
    stores,
    cleanup: async () => {
      for (const s of stores) await s.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

let mongo: MongoServer | undefined;
concurrentClaims('mongo (jongodb, two clients on one database)', async () => {
  mongo = await startMongo();
  const db = mongo.freshDbName();
  const stores: [SessionStore, SessionStore] = [await MongoSessionStore.open(mongo.url, db), await MongoSessionStore.open(mongo.url, db)];
  return {
    stores,
    cleanup: async () => {
      for (const s of stores) await s.close();
      await mongo?.stop();
    },
  };
});
