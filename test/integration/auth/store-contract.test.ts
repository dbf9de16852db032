import { expect } from 'chai';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AppError } from '../../../lib/errors.js';
import type { Namespace } from '../../../lib/namespace.js';
import { startMongo, type MongoServer } from '../../helpers/mongo-server.js';
import type { AuthStore, NamespaceRecord } from '../../../services/auth/store.js';
import { SqliteAuthStore } from '../../../services/auth/store-sqlite.js';
import { MongoAuthStore } from '../../../services/auth/store-mongo.js';
import { generateSecrets } from '../../../services/auth/secrets.js';

const alice = 'alice' as Namespace;
const bob = 'bob' as Namespace;

function nsRecord(name: Namespace, tokenHash: string): NamespaceRecord {
  return { name, label: `${name} label`, tokenHash, createdAt: 1000, lastUsedAt: null, rotatedAt: null, revoked: false };
}

/** The contract every AuthStore implementation must pass; `open` gives two handles on one fresh store. */
function contract(name: string, open: () => Promise<{ a: AuthStore; b: AuthStore }>) {
  describe(`auth store contract: ${name}`, () => {
    let a: AuthStore;
    let b: AuthStore;
    beforeEach(async () => {
      ({ a, b } = await open());
    });

    it('when two replicas get-or-create secrets at once, then both end up with the SAME secrets', async () => {
      const [s1, s2] = await Promise.all([a.getOrCreateSecrets(generateSecrets(1)), b.getOrCreateSecrets(generateSecrets(2))]);
      expect(s1).to.deep.equal(s2);
      expect(await a.getOrCreateSecrets(generateSecrets(3))).to.deep.equal(s1);
    });

    it('when a namespace is created twice, then already_exists; lookups by hash find it; other names do not', async () => {
      await a.createNamespace(nsRecord(alice, 'h-alice'));
      try {
        await b.createNamespace(nsRecord(alice, 'h-other'));
        expect.fail('expected already_exists');
      } catch (err) {
        expect(err).to.be.instanceOf(AppError);
        expect((err as AppError).code).to.equal('already_exists');
      }
      await a.createNamespace(nsRecord(bob, 'h-bob'));
      expect((await b.findNamespaceByTokenHash('h-alice'))?.name).to.equal('alice');
      expect((await b.findNamespaceByTokenHash('h-bob'))?.name).to.equal('bob');
      expect(await b.findNamespaceByTokenHash('h-nobody')).to.equal(null);
      expect((await a.listNamespaces()).map((n) => n.name)).to.deep.equal(['alice', 'bob']);
    });

    it('when a namespace is rotated, revoked and touched, then only it changes', async () => {
      await a.createNamespace(nsRecord(alice, 'h1'));
      await a.createNamespace(nsRecord(bob, 'hb'));
      expect(await a.rotateNamespaceToken(alice, 'h2', 2000)).to.equal(true);
      expect(await a.findNamespaceByTokenHash('h1')).to.equal(null);
      expect(await a.revokeNamespace(alice, 3000)).to.equal(true);
      await a.touchNamespace(alice, 4000);
      expect(await b.getNamespace(alice)).to.deep.include({ tokenHash: 'h2', revoked: true, rotatedAt: 3000, lastUsedAt: 4000 });
      expect(await b.getNamespace(bob)).to.deep.include({ tokenHash: 'hb', revoked: false, rotatedAt: null, lastUsedAt: null });
      expect(await a.rotateNamespaceToken('nobody' as Namespace, 'h3', 1)).to.equal(false);
      expect(await a.revokeNamespace('nobody' as Namespace, 1)).to.equal(false);
      expect(await a.rotateNamespaceToken(alice, 'h4', 5000)).to.equal(true);
      expect((await a.getNamespace(alice))?.revoked).to.equal(false);
    });

    it('when two replicas CAS the same throttle version, then exactly one wins', async () => {
      expect(await a.getThrottle('10.0.0.1')).to.equal(null);
      const created = await Promise.all([a.casThrottle('10.0.0.1', null, { count: 1, windowStart: 1 }), b.casThrottle('10.0.0.1', null, { count: 1, windowStart: 1 })]);
      expect(created.filter(Boolean)).to.have.length(1);
      const rec = (await a.getThrottle('10.0.0.1'))!;
      expect(rec).to.include({ count: 1, windowStart: 1, version: 1 });
      const upd = await Promise.all([a.casThrottle('10.0.0.1', 1, { count: 2, windowStart: 1 }), b.casThrottle('10.0.0.1', 1, { count: 2, windowStart: 1 })]);
      expect(upd.filter(Boolean)).to.have.length(1);
      expect(await b.getThrottle('10.0.0.1')).to.include({ count: 2, version: 2 });
      expect(await b.getThrottle('10.0.0.2')).to.equal(null);
    });

    it('when audit entries are appended, then lists are newest first, filtered per namespace, paged by before', async () => {
      const entry = (id: string, at: number, ns: Namespace | null) => ({ id, at, action: 'login', namespace: ns, clientAddr: '1.2.3.4', outcome: 'ok', actor: 'base', detail: '' });
      await a.appendAudit(entry('a1', 100, alice));
      await a.appendAudit(entry('b1', 200, bob));
      await a.appendAudit(entry('a2', 300, alice));
      await a.appendAudit(entry('h1', 400, null));
      expect((await b.listAudit(alice, { limit: 10 })).map((e) => e.id)).to.deep.equal(['a2', 'a1']);
      expect((await b.listAudit(bob, { limit: 10 })).map((e) => e.id)).to.deep.equal(['b1']);
      expect((await b.listAudit(null, { limit: 10 })).map((e) => e.id)).to.deep.equal(['h1', 'a2', 'b1', 'a1']);
      expect((await b.listAudit(null, { limit: 2, before: 300 })).map((e) => e.id)).to.deep.equal(['b1', 'a1']);
      expect((await b.listAudit(alice, { limit: 1 }))[0]).to.deep.equal(entry('a2', 300, alice));
    });

    it('when jtis are revoked and cut-offs set, then only unexpired jtis list and cut-offs keep the maximum', async () => {
      await a.revokeJti(alice, 'j1', 100);
      await a.revokeJti(bob, 'j2', 300);
      await a.revokeJti(bob, 'j2', 300);
      expect((await b.listRevokedJtis(200)).map((r) => [r.namespace, r.jti, r.expiresAt])).to.deep.equal([['bob', 'j2', 300]]);
      await a.setRevokedBefore(alice, 50);
      await a.setRevokedBefore(alice, 70);
      await a.setRevokedBefore(alice, 60);
      await a.setRevokedBefore(bob, 5);
      expect(await b.listRevokedBefore()).to.deep.equal({ alice: 70, bob: 5 });
    });

    it('when a telegram user binds twice, then the binding is unique and stays in the first namespace', async () => {
      const [r1, r2] = await Promise.all([a.bindTelegram(alice, 42, 1), b.bindTelegram(bob, 42, 2)]);
      expect(r1.namespace).to.equal(r2.namespace);
      const owner = r1.namespace;
      const other = owner === alice ? bob : alice;
      expect(await a.listTelegramRecipients(owner)).to.deep.equal([42]);
      expect(await a.listTelegramRecipients(other)).to.deep.equal([]);
      expect(await a.unbindTelegram(other, 42)).to.equal(false);
      expect((await a.getTelegramBinding(42))?.namespace).to.equal(owner);
      expect(await a.unbindTelegram(owner, 42)).to.equal(true);
      expect(await a.getTelegramBinding(42)).to.equal(null);
      expect((await b.bindTelegram(bob, 42, 3)).namespace).to.equal('bob');
    });

    it("when a namespace's bindings are listed or all removed, then only that namespace's are", async () => {
      await a.bindTelegram(alice, 7, 30);
      await a.bindTelegram(alice, 5, 20);
      await a.bindTelegram(bob, 9, 10);
      expect((await b.listTelegramBindings(alice)).map((x) => [x.telegramUserId, x.createdAt])).to.deep.equal([
        [5, 20],
        [7, 30],
      ]);
      expect(await b.deleteTelegramBindings(alice)).to.equal(2);
      expect(await b.listTelegramBindings(alice)).to.deep.equal([]);
      expect((await a.listTelegramBindings(bob)).map((x) => x.telegramUserId)).to.deep.equal([9]);
      expect(await a.deleteTelegramBindings(alice)).to.equal(0);
    });

    it('when a trust pair is written again, then the latest time stays', async () => {
      expect(await a.getTrust('k1')).to.equal(null);
      await a.putTrust('k1', 100);
      await b.putTrust('k1', 300);
      await a.putTrust('k1', 200);
      expect(await b.getTrust('k1')).to.equal(300);
    });

    it('when pruned, then expired jtis, finished throttle windows, stale trust and old or excess audit rows go; the rest stays', async () => {
      await a.revokeJti(alice, 'gone', 100);
      await a.revokeJti(alice, 'kept', 300);
      await a.casThrottle('1.2.3.4', null, { count: 3, windowStart: 1000 });
      await a.casThrottle('5.6.7.8', null, { count: 3, windowStart: 5000 });
      await a.putTrust('old', 10);
      await a.putTrust('new', 9000);
      const entry = (id: string, at: number) => ({ id, at, action: 'login', namespace: alice, clientAddr: '1.2.3.4', outcome: 'ok', actor: 'base', detail: '' });
      for (const [id, at] of [['e1', 10], ['e2', 2000], ['e3', 3000], ['e4', 4000], ['e5', 5000]] as const) await a.appendAudit(entry(id, at));
      const counts = await b.prune({ jtiExpiredBeforeSec: 200, throttleStartedBefore: 2000, trustBefore: 100, auditBefore: 1000, auditKeep: 3 });
      expect(counts).to.deep.equal({ jtis: 1, throttles: 1, trust: 1, audit: 2 });
      expect((await a.listRevokedJtis(0)).map((r) => r.jti)).to.deep.equal(['kept']);
      expect(await a.getThrottle('1.2.3.4')).to.equal(null);
      expect((await a.getThrottle('5.6.7.8'))?.count).to.equal(3);
      expect([await a.getTrust('old'), await a.getTrust('new')]).to.deep.equal([null, 9000]);
      expect((await a.listAudit(null, { limit: 10 })).map((e) => e.id)).to.deep.equal(['e5', 'e4', 'e3']);
      // A second pass finds nothing more.
      expect(await b.prune({ jtiExpiredBeforeSec: 200, throttleStartedBefore: 2000, trustBefore: 100, auditBefore: 1000, auditKeep: 3 })).to.deep.equal({ jtis: 0, throttles: 0, trust: 0, audit: 0 });
    });
  });
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'teamhub-auth-contract-'));
let counter = 0;
contract('sqlite', async () => {
  const file = path.join(tmp, `auth-${counter++}.db`);
  return { a: await SqliteAuthStore.open(file), b: await SqliteAuthStore.open(file) };
});

describe('auth store contract on mongo', () => {
  let mongo: MongoServer;
  const opened: AuthStore[] = [];
  before(async () => {
    mongo = await startMongo();
  });
  after(async () => {
    for (const s of opened) await s.close();
    await mongo?.stop();
  });
  contract('mongo', async () => {
    const dbName = mongo.freshDbName();
    const a = await MongoAuthStore.open(mongo.url, dbName);
    const b = await MongoAuthStore.open(mongo.url, dbName);
    opened.push(a, b);
    return { a, b };
  });
});
