import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import type { Namespace } from '../../../lib/namespace.js';
import type { NewMessage, SessionRecord, SessionStore } from '../../../services/session/store.js';

export function sessionRecord(ns: Namespace, over: Partial<SessionRecord> = {}): SessionRecord {
  const now = 1_700_000_000_000;
  return {
    id: randomUUID(), namespace: ns, tag: `tag-${randomUUID()}`, seq: 0, createdAt: now, updatedAt: now, active: false, activeAt: now,
    metadataJson: '{"path":"/p","host":"h"}', metadataVersion: 1, agentStateJson: null, agentStateVersion: 1, thinking: false,
    thinkingAt: 0, activeTurnStartedAt: null, backgroundTaskCount: 0, todosUpdatedAt: 0, teamStateUpdatedAt: 0, model: null,
    modelReasoningEffort: null, effort: null, serviceTier: null, hasConversationContent: false, pinned: false, todosJson: null,
    teamStateJson: null, lastMessageSeq: 0, archived: false, permissionMode: null, collaborationMode: null, copilotAgentMode: null,
    globalPinned: false, pendingRequestsCount: 0, ...over,
  };
}

export function newMessage(ns: Namespace, sessionId: string, over: Partial<NewMessage> = {}): NewMessage {
  return {
    id: randomUUID(), namespace: ns, sessionId, createdAt: 1_700_000_000_000, localId: null, contentJson: '{"role":"user"}', invokedAt: null,
    scheduledAt: null, deliveryState: 'queued', deliveryMode: null, ...over,
  };
}

const ODD_JSON = '{"$where":"sleep(1000)","a.b":{"$gt":""},"__proto__":{"polluted":true},"path":"/p","host":"h","n":[1,2.5,null]}';

/**
 * The contract every SessionStore implementation passes. `open` gives a store with no data from
 * other suites' namespaces being relied upon; each test uses fresh namespaces.
 */
export function sessionStoreContract(name: string, open: () => Promise<{ store: SessionStore; cleanup: () => Promise<void> }>): void {
  describe(`SessionStore contract: ${name}`, function () {
    let store: SessionStore;
    let cleanup: () => Promise<void>;
    let alice: Namespace;
    let bob: Namespace;

    before(async () => {
      ({ store, cleanup } = await open());
    });
    after(async () => cleanup());
    beforeEach(() => {
      const n = randomUUID().slice(0, 8);
      alice = `alice-${n}` as Namespace;
      bob = `bob ${n} ü` as Namespace;
    });

    it('when a session is inserted, then it reads back by id, tag and list, and ownerOf names its namespace', async () => {
      const s = sessionRecord(alice);
      expect(await store.insertSession(s)).to.equal(true);
      expect(await store.getSession(alice, s.id)).to.deep.equal(s);
      expect(await store.getSessionByTag(alice, s.tag)).to.deep.equal(s);
      expect(await store.listSessions(alice)).to.deep.equal([s]);
      expect(await store.ownerOf(s.id)).to.equal(alice);
      expect(await store.ownerOf(randomUUID())).to.equal(null);
    });

    it('when every field holds a value of its own, then a list row carries each one exactly as the read by id does', async () => {
      const text = (f: string) => `${f} "quoted" \\ ü 🙂\n`;
      const s = sessionRecord(alice, {
        seq: 3, createdAt: 1_700_000_000_001, updatedAt: 1_700_000_000_002, active: true, activeAt: 1_700_000_000_003,
        metadataJson: ODD_JSON, metadataVersion: 4, agentStateJson: '{"requests":{}}', agentStateVersion: 5, thinking: true,
        thinkingAt: 1_700_000_000_006, activeTurnStartedAt: 1_700_000_000_007, backgroundTaskCount: 8, todosUpdatedAt: 9,
        teamStateUpdatedAt: 10, model: text('model'), modelReasoningEffort: text('mre'), effort: text('effort'),
        serviceTier: text('tier'), hasConversationContent: true, pinned: true, todosJson: '[{"t":1}]', teamStateJson: '{"team":2}',
        lastMessageSeq: 11, archived: true, permissionMode: text('perm'), collaborationMode: text('collab'),
        copilotAgentMode: text('copilot'), globalPinned: true, pendingRequestsCount: 12,
      });
      await store.insertSession(s);
      const listed = await store.listSessions(alice, { order: 'list', limit: 10 });
      expect(listed).to.deep.equal([s]);
      expect(listed[0]).to.deep.equal(await store.getSession(alice, s.id));
      expect(await store.listSessions(alice, { order: 'updatedAt', limit: 10 })).to.deep.equal([s]);
    });
    it('when listing, then sessions come most recently updated first and only from the namespace', async () => {
      const old = sessionRecord(alice, { updatedAt: 1 });
      const recent = sessionRecord(alice, { updatedAt: 5 });
      await store.insertSession(old);
      await store.insertSession(recent);
      await store.insertSession(sessionRecord(bob));
      expect((await store.listSessions(alice)).map((s) => s.id)).to.deep.equal([recent.id, old.id]);
      expect(await store.listSessions(bob)).to.have.length(1);
    });

    it('when the same tag or the same id is inserted again, then the insert is refused', async () => {
      const s = sessionRecord(alice);
      await store.insertSession(s);
      expect(await store.insertSession(sessionRecord(alice, { tag: s.tag }))).to.equal(false);
      expect(await store.insertSession(sessionRecord(bob, { id: s.id }))).to.equal(false);
      expect(await store.insertSession(sessionRecord(bob, { tag: s.tag }))).to.equal(true, 'tags are per namespace');
      expect(await store.getSession(alice, s.id)).to.deep.equal(s);
    });

    it('when the same tag is inserted concurrently, then exactly one insert wins', async () => {
      const tag = `race-${randomUUID()}`;
      const wins = await Promise.all(Array.from({ length: 5 }, () => store.insertSession(sessionRecord(alice, { tag }))));
      expect(wins.filter(Boolean)).to.have.length(1);
      expect(await store.listSessions(alice)).to.have.length(1);
    });

    it('when a CAS carries the current version, then version and seq go up; a stale one changes nothing', async () => {
      const s = sessionRecord(alice);
      await store.insertSession(s);
      const ok = await store.casDocument(alice, s.id, 'metadata', 1, '{"path":"/q","host":"h"}', 42);
      expect(ok).to.include({ metadataVersion: 2, seq: 1, updatedAt: 42, metadataJson: '{"path":"/q","host":"h"}' });
      expect(await store.casDocument(alice, s.id, 'metadata', 1, '{}', 43)).to.equal(null);
      const st = await store.casDocument(alice, s.id, 'agentState', 1, null, 44);
      expect(st).to.include({ agentStateVersion: 2, agentStateJson: null, seq: 2, metadataVersion: 2 });
      expect(await store.getSession(alice, s.id)).to.deep.equal(st);
    });

    it('when patching with a whenActive condition, then it writes only on a state change', async () => {
      const s = sessionRecord(alice);
      await store.insertSession(s);
      expect(await store.patchSession(alice, s.id, { active: false }, true)).to.equal(null);
      const on = await store.patchSession(alice, s.id, { active: true, activeAt: 7 }, false);
      expect(on).to.include({ active: true, activeAt: 7 });
      expect(await store.patchSession(alice, s.id, { active: true, activeAt: 8 }, false)).to.equal(null);
      expect((await store.getSession(alice, s.id))!.activeAt).to.equal(7);
    });

    it('when deleting, then only an inactive session goes, with its messages deleted separately', async () => {
      const s = sessionRecord(alice, { active: true });
      await store.insertSession(s);
      await store.appendMessage(alice, newMessage(alice, s.id));
      expect(await store.deleteInactiveSession(alice, s.id)).to.equal(false);
      await store.patchSession(alice, s.id, { active: false });
      expect(await store.deleteInactiveSession(alice, s.id)).to.equal(true);
      expect(await store.getSession(alice, s.id)).to.equal(null);
      expect(await store.deleteMessages(alice, s.id)).to.equal(1);
      expect(await store.appendMessage(alice, newMessage(alice, s.id))).to.equal(null);
    });

    it('when 20 messages are appended concurrently, then seqs are exactly 1..20 and the counter is 20', async () => {
      const s = sessionRecord(alice);
      await store.insertSession(s);
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => store.appendMessage(alice, newMessage(alice, s.id, { localId: `l${i}` }))));
      const seqs = results.map((r) => r!.message.seq).sort((a, b) => a - b);
      expect(seqs).to.deep.equal(Array.from({ length: 20 }, (_, i) => i + 1));
      expect(results.filter((r) => r!.firstContent)).to.have.length(1);
      const after = await store.getSession(alice, s.id);
      expect(after).to.include({ lastMessageSeq: 20, hasConversationContent: true });
    });

    it('when a localId repeats, then the stored message comes back uncreated and no seq is used', async () => {
      const s = sessionRecord(alice);
      await store.insertSession(s);
      const first = await store.appendMessage(alice, newMessage(alice, s.id, { localId: 'x', contentJson: '{"a":1}' }));
      const again = await store.appendMessage(alice, newMessage(alice, s.id, { localId: 'x', contentJson: '{"a":2}' }));
      expect(first!.created).to.equal(true);
      expect(again).to.deep.equal({ message: first!.message, created: false, firstContent: false });
      const noLocal = await store.appendMessage(alice, newMessage(alice, s.id));
      const noLocal2 = await store.appendMessage(alice, newMessage(alice, s.id));
      expect([noLocal!.message.seq, noLocal2!.message.seq]).to.deep.equal([2, 3]);
    });

    it('when paging, then afterSeq ascends, beforeSeq gives the newest page in ascending order, with hasMore', async () => {
      const s = sessionRecord(alice);
      await store.insertSession(s);
      for (let i = 0; i < 7; i++) await store.appendMessage(alice, newMessage(alice, s.id));
      const a = await store.listMessages(alice, s.id, { afterSeq: 2, limit: 3 });
      expect(a.messages.map((m) => m.seq)).to.deep.equal([3, 4, 5]);
      expect(a.hasMore).to.equal(true);
      const b = await store.listMessages(alice, s.id, { afterSeq: 5, limit: 3 });
      expect([b.messages.map((m) => m.seq), b.hasMore]).to.deep.equal([[6, 7], false]);
      const c = await store.listMessages(alice, s.id, { beforeSeq: 7, limit: 4 });
      expect([c.messages.map((m) => m.seq), c.hasMore]).to.deep.equal([[3, 4, 5, 6], true]);
      const d = await store.listMessages(alice, s.id, { beforeSeq: 3, limit: 4 });
      expect([d.messages.map((m) => m.seq), d.hasMore]).to.deep.equal([[1, 2], false]);
    });

    it('when messages are consumed, then only uninvoked localIds are stamped, once', async () => {
      const s = sessionRecord(alice);
      await store.insertSession(s);
      await store.appendMessage(alice, newMessage(alice, s.id, { localId: 'q1' }));
      await store.appendMessage(alice, newMessage(alice, s.id, { localId: 'q2', invokedAt: 5 }));
      expect(await store.markConsumed(alice, s.id, ['q1', 'q2', 'nope', 'q1'], 99)).to.deep.equal(['q1']);
      expect(await store.markConsumed(alice, s.id, ['q1'], 100)).to.deep.equal([]);
      const page = await store.listMessages(alice, s.id, { afterSeq: 0, limit: 10 });
      expect(page.messages.map((m) => m.invokedAt)).to.deep.equal([99, 5]);
    });

    it('when JSON has keys like $where, a.b and __proto__, then it round-trips byte for byte', async () => {
      const s = sessionRecord(alice, { metadataJson: ODD_JSON, agentStateJson: ODD_JSON, todosJson: ODD_JSON });
      await store.insertSession(s);
      expect(await store.getSession(alice, s.id)).to.deep.equal(s);
      const cas = await store.casDocument(alice, s.id, 'agentState', 1, ODD_JSON.replace('1000', '1'), 1);
      expect(cas!.agentStateJson).to.equal(ODD_JSON.replace('1000', '1'));
      const m = await store.appendMessage(alice, newMessage(alice, s.id, { contentJson: ODD_JSON, localId: '$where.a.b' }));
      const page = await store.listMessages(alice, s.id, { afterSeq: 0, limit: 5 });
      expect(page.messages).to.deep.equal([m!.message]);
      expect(page.messages[0]!.contentJson).to.equal(ODD_JSON);
      expect(page.messages[0]!.localId).to.equal('$where.a.b');
    });

    it("when another namespace uses alice's ids, then it can never read, change, list or delete her records", async () => {
      const s = sessionRecord(alice, { active: false });
      await store.insertSession(s);
      const m = await store.appendMessage(alice, newMessage(alice, s.id, { localId: 'L' }));
      expect(await store.getSession(bob, s.id)).to.equal(null);
      expect(await store.getSessionByTag(bob, s.tag)).to.equal(null);
      expect(await store.listSessions(bob)).to.deep.equal([]);
      expect(await store.casDocument(bob, s.id, 'metadata', 1, '{}', 1)).to.equal(null);
      expect(await store.patchSession(bob, s.id, { active: true })).to.equal(null);
      expect(await store.appendMessage(bob, newMessage(bob, s.id, { localId: 'L' }))).to.equal(null);
      expect((await store.listMessages(bob, s.id, { afterSeq: 0, limit: 10 })).messages).to.deep.equal([]);
      expect(await store.markConsumed(bob, s.id, ['L'], 5)).to.deep.equal([]);
      expect(await store.deleteMessages(bob, s.id)).to.equal(0);
      expect(await store.deleteInactiveSession(bob, s.id)).to.equal(false);
      expect(await store.getSession(alice, s.id)).to.deep.include({ metadataVersion: 1, active: false, lastMessageSeq: 1 });
      expect((await store.listMessages(alice, s.id, { afterSeq: 0, limit: 10 })).messages).to.deep.equal([m!.message]);
    });

    it("when listed in HAPI's order with a limit, then pinned, active and pending come first and the store cuts the page", async () => {
      const plain = sessionRecord(alice, { updatedAt: 50 });
      const fresh = sessionRecord(alice, { updatedAt: 90 });
      const active = sessionRecord(alice, { active: true, updatedAt: 10 });
      const waiting = sessionRecord(alice, { active: true, updatedAt: 5, pendingRequestsCount: 2 });
      const pinned = sessionRecord(alice, { pinned: true, updatedAt: 1 });
      const global = sessionRecord(alice, { globalPinned: true, updatedAt: 2 });
      for (const s of [plain, fresh, active, waiting, pinned, global]) await store.insertSession(s);
      await store.insertSession(sessionRecord(bob, { globalPinned: true }));
      const ids = async (order: 'list' | 'updatedAt', limit: number) => (await store.listSessions(alice, { order, limit })).map((s) => s.id);
      expect(await ids('list', 0)).to.deep.equal([global.id, pinned.id, waiting.id, active.id, fresh.id, plain.id]);
      expect(await ids('list', 3)).to.deep.equal([global.id, pinned.id, waiting.id]);
      expect(await ids('updatedAt', 2)).to.deep.equal([fresh.id, plain.id]);
    });

    it('when settings and pins are patched, then they read back and another namespace cannot patch them', async () => {
      const s = sessionRecord(alice);
      await store.insertSession(s);
      const patched = await store.patchSession(alice, s.id, { model: 'opus', collaborationMode: 'plan', copilotAgentMode: null, permissionMode: 'yolo', globalPinned: true });
      expect(patched).to.deep.include({ model: 'opus', collaborationMode: 'plan', copilotAgentMode: null, permissionMode: 'yolo', globalPinned: true, pinned: false, updatedAt: s.updatedAt });
      expect(await store.getSession(alice, s.id)).to.deep.equal(patched);
      expect(await store.patchSession(bob, s.id, { model: 'x' })).to.equal(null);
      const cas = await store.casDocument(alice, s.id, 'agentState', 1, '{"requests":{"a":{},"b":{}}}', 7, { pendingRequestsCount: 2 });
      expect(cas).to.deep.include({ pendingRequestsCount: 2, agentStateVersion: 2 });
    });

    it('when a rewind truncates from a localId, then it and every later message go and the replacements take fresh seqs', async () => {
      const s = sessionRecord(alice);
      await store.insertSession(s);
      const at = (n: number) => 1_700_000_000_000 + n;
      await store.appendMessage(alice, newMessage(alice, s.id, { localId: 'u1', createdAt: at(1), invokedAt: at(1) }));
      await store.appendMessage(alice, newMessage(alice, s.id, { createdAt: at(2), invokedAt: at(2) }));
      await store.appendMessage(alice, newMessage(alice, s.id, { localId: 'u2', createdAt: at(3), invokedAt: at(5) }));
      await store.appendMessage(alice, newMessage(alice, s.id, { createdAt: at(4), invokedAt: at(4) }));
      await store.appendMessage(alice, newMessage(alice, s.id, { createdAt: at(6), invokedAt: at(6) }));
      expect(await store.truncateMessagesFrom(bob, s.id, 'u2', [], () => 'x')).to.equal(null);
      expect(await store.truncateMessagesFrom(alice, s.id, 'nope', [], () => 'x')).to.equal(null);
      let n = 0;
      const res = await store.truncateMessagesFrom(alice, s.id, 'u2', [{ contentJson: '{"r":1}', createdAt: at(7), localId: null, invokedAt: at(7) }], () => `r-${++n}`);
      expect(res).to.deep.equal({ deleted: 2, inserted: 1 });
      const left = (await store.listMessages(alice, s.id, { afterSeq: 0, limit: 50 })).messages;
      // u2 was invoked at 5: the message created at 4 (invoked at 4) stays, the one at 6 goes.
      expect(left.map((m) => [m.seq, m.localId])).to.deep.equal([[1, 'u1'], [2, null], [4, null], [6, null]]);
      expect(left.at(-1)).to.deep.include({ id: 'r-1', contentJson: '{"r":1}' });
      expect((await store.getSession(alice, s.id))!.lastMessageSeq).to.equal(6);
    });

    it('when history is checked, then queued local messages are counted and the boundary must be invoked', async () => {
      const s = sessionRecord(alice);
      await store.insertSession(s);
      await store.appendMessage(alice, newMessage(alice, s.id, { localId: 'done', invokedAt: 5 }));
      await store.appendMessage(alice, newMessage(alice, s.id, { localId: 'waiting', invokedAt: null }));
      expect(await store.historyState(alice, s.id, 'done')).to.deep.equal({ queued: 1, boundaryInvoked: true });
      expect(await store.historyState(alice, s.id, 'waiting')).to.deep.equal({ queued: 1, boundaryInvoked: false });
      expect(await store.historyState(alice, s.id)).to.deep.equal({ queued: 1, boundaryInvoked: false });
      expect(await store.historyState(bob, s.id, 'done')).to.deep.equal({ queued: 0, boundaryInvoked: false });
    });

    it('when a fork copies a transcript, then the invoked messages before the boundary arrive in order with fresh ids', async () => {
      const src = sessionRecord(alice);
      const child = sessionRecord(alice);
      const foreign = sessionRecord(bob);
      for (const s of [src, child, foreign]) await store.insertSession(s);
      await store.appendMessage(alice, newMessage(alice, src.id, { localId: 'a', contentJson: '{"n":1}', createdAt: 1, invokedAt: 1 }));
      await store.appendMessage(alice, newMessage(alice, src.id, { contentJson: '{"n":2}', createdAt: 2, invokedAt: 3 }));
      await store.appendMessage(alice, newMessage(alice, src.id, { localId: 'q', contentJson: '{"n":3}', createdAt: 2, invokedAt: null }));
      await store.appendMessage(alice, newMessage(alice, src.id, { localId: 'b', contentJson: '{"n":4}', createdAt: 4, invokedAt: 4 }));
      let n = 0;
      expect(await store.copyInvokedMessages(alice, src.id, child.id, 'missing', () => `c-${++n}`)).to.equal(null);
      expect(await store.copyInvokedMessages(bob, src.id, foreign.id, undefined, () => `c-${++n}`)).to.deep.equal({ copied: 0, localIds: [] });
      expect(await store.copyInvokedMessages(alice, src.id, child.id, 'b', () => `c-${++n}`)).to.deep.equal({ copied: 2, localIds: ['a'] });
      const copied = (await store.listMessages(alice, child.id, { afterSeq: 0, limit: 10 })).messages;
      expect(copied.map((m) => [m.seq, m.contentJson, m.localId, m.invokedAt])).to.deep.equal([[1, '{"n":1}', 'a', 1], [2, '{"n":2}', null, 3]]);
      expect(copied.every((m) => m.id.startsWith('c-'))).to.equal(true);
      expect(await store.getSession(alice, child.id)).to.deep.include({ lastMessageSeq: 2, hasConversationContent: true });
      expect((await store.listMessages(bob, foreign.id, { afterSeq: 0, limit: 10 })).messages).to.deep.equal([]);
    });

    it('when a fork copies more messages than one page, then all of them arrive in order', async function () {
      // 620 appends one by one, each a few round trips with a journalled write on the Mongo test
      // server (about 25 s on a busy machine); the copy itself is two batches.
      this.timeout(90_000);
      const src = sessionRecord(alice);
      const child = sessionRecord(alice);
      await store.insertSession(src);
      await store.insertSession(child);
      for (let i = 1; i <= 620; i++) await store.appendMessage(alice, newMessage(alice, src.id, { contentJson: `{"n":${i}}`, createdAt: i, invokedAt: i }));
      let n = 0;
      expect((await store.copyInvokedMessages(alice, src.id, child.id, undefined, () => `p-${++n}`))?.copied).to.equal(620);
      const last = (await store.listMessages(alice, child.id, { beforeSeq: Number.MAX_SAFE_INTEGER, limit: 2 })).messages;
      expect(last.map((m) => [m.seq, m.contentJson])).to.deep.equal([[619, '{"n":619}'], [620, '{"n":620}']]);
    });

    it('when message stats are read, then count and UTF-8 content bytes are of that session only', async () => {
      const s = sessionRecord(alice);
      await store.insertSession(s);
      await store.appendMessage(alice, newMessage(alice, s.id, { contentJson: '"é"' }));
      await store.appendMessage(alice, newMessage(alice, s.id, { contentJson: '{}' }));
      expect(await store.messageStats(alice, s.id)).to.deep.equal({ count: 2, contentBytes: 6 });
      expect(await store.messageStats(bob, s.id)).to.deep.equal({ count: 0, contentBytes: 0 });
    });
  });
}
