import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseNamespace } from '../../../lib/namespace.js';
import { startMongo, type MongoServer } from '../../helpers/mongo-server.js';
import { SqliteSessionStore } from '../../../services/session/store-sqlite.js';
import { MongoSessionStore } from '../../../services/session/store-mongo.js';
import type { MessageRecord, SessionRecord, SessionStore } from '../../../services/session/store.js';

const alice = parseNamespace('alice');
const bob = parseNamespace('bob');

function session(ns: typeof alice, id: string, at: number): SessionRecord {
  return {
    id, namespace: ns, tag: `tag-${id}`, seq: 3, createdAt: at, updatedAt: at, active: false, activeAt: at, metadataJson: '{"path":"/p"}', metadataVersion: 2,
    agentStateJson: null, agentStateVersion: 1, thinking: false, thinkingAt: 0, activeTurnStartedAt: null, backgroundTaskCount: 0, todosUpdatedAt: 0,
    teamStateUpdatedAt: 0, model: null, modelReasoningEffort: null, effort: null, serviceTier: null, hasConversationContent: false, pinned: false,
    todosJson: null, teamStateJson: null, lastMessageSeq: 0, archived: false, permissionMode: null, collaborationMode: null, copilotAgentMode: null,
    globalPinned: false, pendingRequestsCount: 0,
  };
}

const message = (ns: typeof alice, sessionId: string, id: string, seq: number, at: number, localId: string | null = null): MessageRecord => ({
  id, namespace: ns, sessionId, seq, createdAt: at, localId, contentJson: JSON.stringify({ n: seq }), invokedAt: at, scheduledAt: null, deliveryState: 'queued', deliveryMode: null,
});

/** The session store's hub-operation methods, on both stores: counts per namespace and an import that keeps ids, seqs and times. */
function opsContract(name: string, open: () => Promise<{ store: SessionStore; cleanup: () => Promise<void> }>): void {
  describe(`session store ops: ${name}`, function () {
    this.timeout(60_000);
    let store: SessionStore;
    let cleanup: () => Promise<void>;
    before(async () => ({ store, cleanup } = await open()));
    after(async () => cleanup?.());

    it('when messages are imported, then they keep their ids, seqs and times, the seq counter continues after them, and a second import adds nothing', async () => {
      expect(await store.insertSession(session(alice, 's-a', 1000))).to.equal(true);
      const batch = [message(alice, 's-a', 'm1', 1, 1001, 'l1'), message(alice, 's-a', 'm2', 2, 1002), message(alice, 's-a', 'm4', 4, 1004)];
      expect(await store.importMessages(alice, 's-a', batch)).to.equal(3);
      expect(await store.importMessages(alice, 's-a', batch)).to.equal(0);
      const page = await store.listMessages(alice, 's-a', { afterSeq: 0, limit: 10 });
      expect(page.messages.map((m) => [m.id, m.seq, m.createdAt, m.localId])).to.deep.equal([['m1', 1, 1001, 'l1'], ['m2', 2, 1002, null], ['m4', 4, 1004, null]]);
      const s = (await store.getSession(alice, 's-a'))!;
      expect(s.lastMessageSeq).to.equal(4);
      expect(s.hasConversationContent).to.equal(true);
      const next = await store.appendMessage(alice, { id: 'm5', namespace: alice, sessionId: 's-a', createdAt: 2000, localId: null, contentJson: '{}', invokedAt: null, scheduledAt: null, deliveryState: 'queued', deliveryMode: null });
      expect(next!.message.seq).to.equal(5);
      // A localId the session already has is not taken twice.
      expect(await store.importMessages(alice, 's-a', [message(alice, 's-a', 'm9', 9, 1009, 'l1')])).to.equal(0);
    });

    it('when bob imports into a session of alice or an unknown one, then nothing is stored', async () => {
      expect(await store.importMessages(bob, 's-a', [message(bob, 's-a', 'x1', 10, 1)])).to.equal(0);
      expect(await store.importMessages(alice, 'nope', [message(alice, 'nope', 'x2', 1, 1)])).to.equal(0);
      expect((await store.listMessages(alice, 's-a', { afterSeq: 0, limit: 20 })).messages.map((m) => m.id)).to.not.include('x1');
    });

    it('when the hub is counted, then each namespace has its sessions, active ones, messages and latest time, and nothing else', async () => {
      expect(await store.insertSession({ ...session(bob, 's-b', 5000), active: true })).to.equal(true);
      expect(await store.importMessages(bob, 's-b', [message(bob, 's-b', 'b1', 1, 6000)])).to.equal(1);
      const rows = await store.namespaceActivity();
      const byNs = Object.fromEntries(rows.map((r) => [r.namespace, r]));
      expect(byNs.alice).to.deep.equal({ namespace: 'alice', sessions: 1, activeSessions: 0, messages: 4, lastActivityAt: 2000 });
      expect(byNs.bob).to.deep.equal({ namespace: 'bob', sessions: 1, activeSessions: 1, messages: 1, lastActivityAt: 6000 });
    });
  });
}

opsContract('sqlite (temp file)', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'teamhub-session-ops-'));
  const store = await SqliteSessionStore.open(path.join(dir, 'session.db'));
  return { store, cleanup: async () => (await store.close(), rmSync(dir, { recursive: true, force: true })) };
});

let mongo: MongoServer | undefined;
opsContract('mongo (jongodb, fresh db)', async () => {
  mongo = await startMongo();
  const store = await MongoSessionStore.open(mongo.url, mongo.freshDbName());
  return { store, cleanup: async () => (await store.close(), await mongo?.stop()) };
});
