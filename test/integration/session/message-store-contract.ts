import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import type { Namespace } from '../../../lib/namespace.js';
import type { SessionStore } from '../../../services/session/store.js';
import { newMessage, sessionRecord } from './store-contract.js';

/**
 * The message side of the SessionStore contract (cursor, queue, scheduled claims), which every
 * implementation passes. Fresh namespaces per test; the scheduler's hub-wide methods are checked
 * against ids of the test's own messages only (other suites may share the store).
 */
export function messageStoreContract(name: string, open: () => Promise<{ store: SessionStore; cleanup: () => Promise<void> }>): void {
  describe(`SessionStore messages contract: ${name}`, function () {
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

    async function sessionOf(ns: Namespace) {
      const s = sessionRecord(ns);
      await store.insertSession(s);
      return s;
    }

    it('when messages are paged by position, then before / after / until / newest follow (invokedAt ?? createdAt, seq)', async () => {
      const s = await sessionOf(alice);
      // seq 1 queued at t=100 (position 100), seq 2..4 invoked at 200, 200, 300.
      await store.appendMessage(alice, newMessage(alice, s.id, { createdAt: 100, localId: 'q' }));
      await store.appendMessage(alice, newMessage(alice, s.id, { createdAt: 200, invokedAt: 200 }));
      await store.appendMessage(alice, newMessage(alice, s.id, { createdAt: 200, invokedAt: 200 }));
      await store.appendMessage(alice, newMessage(alice, s.id, { createdAt: 300, invokedAt: 300 }));
      expect(await store.newestPosition(alice, s.id)).to.deep.equal({ at: 300, seq: 4 });
      expect((await store.messagesBefore(alice, s.id, 2)).map((m) => m.seq)).to.deep.equal([3, 4]);
      expect((await store.messagesBefore(alice, s.id, 10, { at: 200, seq: 3 })).map((m) => m.seq)).to.deep.equal([1, 2]);
      expect(await store.hasMessagesBefore(alice, s.id, { at: 100, seq: 1 })).to.equal(false);
      expect(await store.hasMessagesBefore(alice, s.id, { at: 200, seq: 2 })).to.equal(true);
      expect((await store.messagesAfter(alice, s.id, 10, { at: 100, seq: 1 }, { at: 200, seq: 3 })).map((m) => m.seq)).to.deep.equal([2, 3]);
      expect((await store.messagesAfter(alice, s.id, 1, { at: 100, seq: 1 }, { at: 300, seq: 4 })).map((m) => m.seq)).to.deep.equal([2]);
      // Taking the queued message moves it to when it was taken.
      await store.markConsumed(alice, s.id, ['q'], 400);
      expect(await store.newestPosition(alice, s.id)).to.deep.equal({ at: 400, seq: 1 });
      expect(await store.messagesBefore(bob, s.id, 10)).to.deep.equal([]);
      expect(await store.newestPosition(bob, s.id)).to.equal(null);
    });

    it('when a message lands before the newest position or a queued one is deleted, then the epoch goes up; an append at the head does not', async () => {
      const s = await sessionOf(alice);
      await store.appendMessage(alice, newMessage(alice, s.id, { createdAt: 500, invokedAt: 500 }));
      await store.appendMessage(alice, newMessage(alice, s.id, { createdAt: 600, invokedAt: 600 }));
      expect(await store.messageEpoch(alice, s.id)).to.equal(0);
      await store.appendMessage(alice, newMessage(alice, s.id, { createdAt: 550, invokedAt: 550 }));
      expect(await store.messageEpoch(alice, s.id)).to.equal(1);
      const q = (await store.appendMessage(alice, newMessage(alice, s.id, { createdAt: 700, localId: 'q' })))!.message;
      expect(await store.messageEpoch(alice, s.id)).to.equal(1);
      expect(await store.deleteQueuedMessage(bob, s.id, q.id)).to.equal(false);
      expect(await store.deleteQueuedMessage(alice, s.id, q.id)).to.equal(true);
      expect(await store.deleteQueuedMessage(alice, s.id, q.id)).to.equal(false);
      expect(await store.messageEpoch(alice, s.id)).to.equal(2);
      expect(await store.messageEpoch(bob, s.id)).to.equal(0);
      await store.deleteMessages(alice, s.id);
      expect(await store.messageEpoch(alice, s.id)).to.equal(0);
    });

    it('when queued messages are listed, found, backfilled and swept, then only the right ones come back', async () => {
      const s = await sessionOf(alice);
      const a = (await store.appendMessage(alice, newMessage(alice, s.id, { createdAt: 10, localId: 'a' })))!.message;
      await store.appendMessage(alice, newMessage(alice, s.id, { createdAt: 11, localId: 'sched', scheduledAt: 1_000 }));
      await store.appendMessage(alice, newMessage(alice, s.id, { createdAt: 12, localId: 'unsure' }));
      await store.appendMessage(alice, newMessage(alice, s.id, { createdAt: 13, invokedAt: 13 }));
      expect(await store.setDeliveryState(alice, s.id, ['unsure', 'unsure'], 'indeterminate')).to.deep.equal(['unsure']);
      expect((await store.queuedMessages(alice, s.id, 10)).map((m) => m.localId)).to.deep.equal(['a', 'sched', 'unsure']);
      expect((await store.findMessage(alice, s.id, a.id))?.localId).to.equal('a');
      expect((await store.findMessage(alice, s.id, 'a'))?.id).to.equal(a.id);
      expect(await store.findMessage(bob, s.id, a.id)).to.equal(null);
      const deliverable = (queuedOnly: boolean, now: number) => store.deliverableMessages(alice, s.id, { afterSeq: 0, now, limit: 10, queuedOnly }).then((ms) => ms.map((m) => m.seq));
      expect(await deliverable(false, 999)).to.deep.equal([1, 4]);
      expect(await deliverable(false, 1_000)).to.deep.equal([1, 2, 4]);
      expect(await deliverable(true, 1_000)).to.deep.equal([1, 2]);
      expect((await store.messagesByLocalIds(alice, s.id, ['unsure', 'a', 'nope'])).map((m) => [m.localId, m.deliveryState])).to.deep.equal([['a', 'queued'], ['unsure', 'indeterminate']]);
      expect(await store.sweepImmediateQueued(bob, s.id, 50)).to.deep.equal([]);
      expect(await store.sweepImmediateQueued(alice, s.id, 50)).to.deep.equal(['a']);
      expect((await store.findMessage(alice, s.id, 'a'))?.invokedAt).to.equal(50);
    });

    it('when delivery states move, then only HAPI\'s transitions of untaken messages happen, and a claim of an indeterminate one works once', async () => {
      const s = await sessionOf(alice);
      await store.appendMessage(alice, newMessage(alice, s.id, { localId: 'a' }));
      await store.appendMessage(alice, newMessage(alice, s.id, { localId: 'taken' }));
      await store.markConsumed(alice, s.id, ['taken'], 5);
      expect(await store.setDeliveryState(alice, s.id, ['a', 'taken'], 'queued'), 'already queued; taken ones never move').to.deep.equal([]);
      expect(await store.setDeliveryState(alice, s.id, ['a'], 'dispatching')).to.deep.equal(['a']);
      expect(await store.setDeliveryState(bob, s.id, ['a'], 'indeterminate')).to.deep.equal([]);
      expect(await store.claimIndeterminate(alice, s.id, 'a')).to.equal(null);
      expect(await store.setDeliveryState(alice, s.id, ['a'], 'indeterminate')).to.deep.equal(['a']);
      expect((await store.claimIndeterminate(alice, s.id, 'a'))?.deliveryState).to.equal('dispatching');
      expect(await store.claimIndeterminate(alice, s.id, 'a')).to.equal(null);
      // Taking it puts it back to queued for good.
      await store.markConsumed(alice, s.id, ['a'], 9);
      expect((await store.findMessage(alice, s.id, 'a'))?.deliveryState).to.equal('queued');
    });

    it('when a queued message\'s content is replaced, then only while untaken and only in its namespace', async () => {
      const s = await sessionOf(alice);
      await store.appendMessage(alice, newMessage(alice, s.id, { localId: 'n', contentJson: '{"v":1}' }));
      expect(await store.replaceQueuedContent(bob, s.id, 'n', '{"v":"bob"}')).to.equal(null);
      expect((await store.replaceQueuedContent(alice, s.id, 'n', '{"v":2}'))?.contentJson).to.equal('{"v":2}');
      await store.markConsumed(alice, s.id, ['n'], 5);
      expect(await store.replaceQueuedContent(alice, s.id, 'n', '{"v":3}')).to.equal(null);
      expect((await store.findMessage(alice, s.id, 'n'))?.contentJson).to.equal('{"v":2}');
    });

    it('when scheduled messages fall due, then one claim takes each, a live claim keeps others off, and release ends it for good', async () => {
      const s = await sessionOf(alice);
      const far = 4_000_000_000_000; // far in the future: no other suite's message is due then
      const m1 = (await store.appendMessage(alice, newMessage(alice, s.id, { createdAt: 10, localId: 's1', scheduledAt: far })))!.message;
      const m2 = (await store.appendMessage(alice, newMessage(alice, s.id, { createdAt: 10, localId: 's2', scheduledAt: far + 1 })))!.message;
      await store.appendMessage(alice, newMessage(alice, s.id, { createdAt: 10, localId: 'past', scheduledAt: 5 }));
      const mine = (ms: { id: string }[]) => ms.map((m) => m.id).filter((id) => id === m1.id || id === m2.id);
      expect(mine(await store.claimDueScheduled(far - 1, far + 1000, 'early', 1000))).to.deep.equal([]);
      const [x, y] = await Promise.all([store.claimDueScheduled(far + 1, far + 1000, 'x', 1000), store.claimDueScheduled(far + 1, far + 1000, 'y', 1000)]);
      expect([...mine(x), ...mine(y)].sort()).to.deep.equal([m1.id, m2.id].sort());
      const holder = mine(x).includes(m1.id) ? 'x' : 'y';
      expect(mine(await store.claimDueScheduled(far + 999, far + 2000, 'z', 1000)), 'claims still hold').to.deep.equal([]);
      expect(await store.releaseScheduled(alice, m1.id, 'not-mine')).to.equal(false);
      expect(await store.releaseScheduled(bob, m1.id, holder)).to.equal(false);
      expect(await store.releaseScheduled(alice, m1.id, holder)).to.equal(true);
      // m2's claim runs out: another replica takes it over; m1 is never due again.
      expect(mine(await store.claimDueScheduled(far + 1001, far + 3000, 'z', 1000))).to.deep.equal([m2.id]);
      expect((await store.claimDueScheduled(far + 1001, far + 3000, 'w', 1000)).map((m) => m.id)).to.not.include(m1.id);
    });

    it('when messages wait for a later time, then the namespace\'s sessions list how many and the earliest, and no other namespace does', async () => {
      const s = await sessionOf(alice);
      const t = await sessionOf(alice);
      await store.appendMessage(alice, newMessage(alice, s.id, { createdAt: 10, localId: 'a', scheduledAt: 500 }));
      await store.appendMessage(alice, newMessage(alice, s.id, { createdAt: 10, localId: 'b', scheduledAt: 300 }));
      await store.appendMessage(alice, newMessage(alice, t.id, { createdAt: 10, localId: 'c', scheduledAt: 200 }));
      await store.appendMessage(alice, newMessage(alice, t.id, { createdAt: 10, localId: 'd' }));
      const sorted = <T extends { sessionId: string }>(xs: T[]) => [...xs].sort((x, y) => x.sessionId.localeCompare(y.sessionId));
      expect(sorted(await store.futureScheduled(alice, 100))).to.deep.equal(sorted([{ sessionId: s.id, count: 2, nextAt: 300 }, { sessionId: t.id, count: 1, nextAt: 200 }]));
      expect(await store.futureScheduled(alice, 400)).to.deep.equal([{ sessionId: s.id, count: 1, nextAt: 500 }]);
      expect(await store.futureScheduled(bob, 100)).to.deep.equal([]);
    });

    it('when a history is rewound or copied, then the cursor sees the new messages in their positions and the epoch goes up', async () => {
      const s = await sessionOf(alice);
      await store.appendMessage(alice, newMessage(alice, s.id, { createdAt: 10, invokedAt: 10, localId: 'a' }));
      await store.appendMessage(alice, newMessage(alice, s.id, { createdAt: 20, invokedAt: 20, localId: 'b' }));
      await store.appendMessage(alice, newMessage(alice, s.id, { createdAt: 30, invokedAt: 30 }));
      let n = 0;
      const res = await store.truncateMessagesFrom(alice, s.id, 'b', [{ contentJson: '{}', createdAt: 40, invokedAt: 40, localId: 'r' }], () => `${s.id}-r${++n}`);
      expect(res).to.deep.equal({ deleted: 2, inserted: 1 });
      expect(await store.messageEpoch(alice, s.id)).to.equal(1);
      expect((await store.messagesBefore(alice, s.id, 10)).map((m) => [m.localId, m.seq])).to.deep.equal([['a', 1], ['r', 4]]);
      expect(await store.newestPosition(alice, s.id)).to.deep.equal({ at: 40, seq: 4 });
      const child = await sessionOf(alice);
      await store.copyInvokedMessages(alice, s.id, child.id, undefined, () => `${child.id}-c${++n}`);
      expect((await store.messagesBefore(alice, child.id, 10)).map((m) => [m.localId, m.deliveryState])).to.deep.equal([['a', 'queued'], ['r', 'queued']]);
      expect(await store.newestPosition(alice, child.id)).to.deep.equal({ at: 40, seq: 2 });
      expect(await store.messageEpoch(alice, child.id)).to.equal(1);
    });

    it('when a scheduled message is taken or posted for a time already past, then it is never due', async () => {
      const s = await sessionOf(alice);
      const far = 4_100_000_000_000;
      const m = (await store.appendMessage(alice, newMessage(alice, s.id, { createdAt: 10, localId: 'sx', scheduledAt: far })))!.message;
      await store.markConsumed(alice, s.id, ['sx'], 20);
      expect((await store.claimDueScheduled(far + 10, far + 100, 't', 1000)).map((r) => r.id)).to.not.include(m.id);
      const read = await store.findMessage(alice, s.id, m.id);
      expect(read).to.deep.include({ scheduledAt: far, invokedAt: 20, deliveryState: 'queued', deliveryMode: null });
    });
  });
}
