import { expect } from 'chai';
import { AppError } from '../../../lib/errors.js';
import { alice, bob, makeQueue } from './message-fakes.js';

async function rejects(p: Promise<unknown>, code: string, message?: string): Promise<void> {
  try {
    await p;
  } catch (err) {
    expect(err).to.be.instanceOf(AppError);
    expect((err as AppError).code).to.equal(code);
    if (message) expect((err as AppError).message).to.equal(message);
    return;
  }
  expect.fail(`expected ${code}`);
}

const WEB = JSON.stringify({ role: 'user', content: { type: 'text', text: 'hi' }, meta: { sentFrom: 'webapp' } });
const web = (sessionId: string, extra: Record<string, unknown> = {}) => ({ sessionId, contentJson: WEB, invoked: false, requireActive: true, deliveryMode: 'queue' as const, ...extra });

describe('session messages: sending, the cursor and the queue', () => {
  describe('sending from the web', () => {
    it('when steering is asked, then it is kept for a Pi session only, never for a scheduled message, and shown as meta.deliveryMode', async () => {
      const q = await makeQueue();
      const pi = await q.session(alice, 'pi');
      const claude = await q.session(alice, 'claude');
      const steered = await q.domain.appendMessage(alice, web(pi.id, { localId: 'a', deliveryMode: 'steer' }));
      const queued = await q.domain.appendMessage(alice, web(claude.id, { localId: 'b', deliveryMode: 'steer' }));
      const later = await q.domain.appendMessage(alice, web(pi.id, { localId: 'c', deliveryMode: 'steer', scheduledAt: q.now() + 60_000 }));
      expect([steered.message.deliveryMode, queued.message.deliveryMode, later.message.deliveryMode]).to.deep.equal(['steer', 'queue', 'queue']);
      const received = q.sink.events.filter((e) => e.input.type === 'message-received').map((e) => (e.input.syncEvent.message as { content: { meta: unknown } }).content.meta);
      expect(received).to.deep.equal([
        { sentFrom: 'webapp', deliveryMode: 'steer' },
        { sentFrom: 'webapp', deliveryMode: 'queue' },
        { sentFrom: 'webapp', deliveryMode: 'queue' },
      ]);
    });

    it('when the session is inactive, then a web message is refused with HAPI\'s session_inactive; bob gets access denied', async () => {
      const q = await makeQueue();
      const s = await q.session();
      await q.domain.setActive(alice, s.id, false, q.now());
      try {
        await q.domain.appendMessage(alice, web(s.id));
        expect.fail('accepted');
      } catch (err) {
        expect((err as AppError).code).to.equal('failed_precondition');
        expect((err as AppError).details).to.deep.equal({ hapiCode: 'session_inactive' });
      }
      await rejects(q.domain.appendMessage(bob, web(s.id)), 'permission_denied', 'Session access denied');
      expect(q.sink.events.filter((e) => e.input.type === 'message-received')).to.deep.equal([]);
    });

    it('when a message is scheduled ahead, then the web is told with scheduledAt, the CLI is not, and the due time is announced; one due already goes out at once', async () => {
      const q = await makeQueue();
      const s = await q.session();
      const at = q.now() + 5_000;
      await q.domain.appendMessage(alice, web(s.id, { localId: 'later', scheduledAt: at }));
      await q.domain.appendMessage(alice, web(s.id, { localId: 'past', scheduledAt: q.now() - 1 }));
      const [later, past] = q.sink.events.filter((e) => e.input.type === 'message-received');
      expect((later!.input.syncEvent.message as { scheduledAt: number }).scheduledAt).to.equal(at);
      expect(later!.input.socketUpdate, 'no new-message before its time').to.equal(undefined);
      expect(past!.input.socketUpdate).to.deep.include({ t: 'new-message' });
      expect(q.scheduled).to.deep.equal([at]);
    });

    it('when scheduledAt comes without a localId, then invalid_argument', async () => {
      const q = await makeQueue();
      const s = await q.session();
      await rejects(q.domain.appendMessage(alice, web(s.id, { scheduledAt: q.now() + 1000 })), 'invalid_argument', 'scheduledAt requires localId');
    });

    it('when a client dates a message into the future, then it is dated now (HAPI clamps it)', async () => {
      const q = await makeQueue();
      const s = await q.session();
      const r = await q.domain.appendMessage(alice, { sessionId: s.id, contentJson: '{}', invoked: true, createdAt: q.now() + 99_999 });
      expect(r.message.createdAt).to.equal(q.now());
    });
  });

  describe('the cursor', () => {
    it('when the latest page is read, then it has the newest messages and every queued one, in position order, with HAPI\'s page fields', async () => {
      const q = await makeQueue();
      const s = await q.session();
      await q.domain.appendMessage(alice, web(s.id, { localId: 'q1' })); // seq 1, queued at t0
      for (let i = 0; i < 5; i++) {
        q.setNow(q.now() + 10);
        await q.domain.appendMessage(alice, { sessionId: s.id, contentJson: `{"n":${i}}`, invoked: true }); // seq 2..6
      }
      const page = await q.queue.page(alice, s.id, { limit: 3 });
      expect(page.messages.map((m) => m.seq), 'the queued message is added to the 3 newest').to.deep.equal([1, 4, 5, 6]);
      expect(page).to.deep.include({ direction: 'latest', limit: 3, epoch: 0, reset: false, nextAfter: null, hasMore: true });
      expect(page.nextBefore).to.deep.equal({ at: 1_000_030, seq: 4 });
      expect(page.snapshotHead).to.deep.equal({ at: 1_000_050, seq: 6 });
      const older = await q.queue.page(alice, s.id, { limit: 3, before: page.nextBefore! });
      expect(older.messages.map((m) => m.seq)).to.deep.equal([1, 2, 3]);
      expect(older).to.deep.include({ direction: 'before', hasMore: false });
    });

    it('when a queued message is taken, then it moves to the time it was taken', async () => {
      const q = await makeQueue();
      const s = await q.session();
      await q.domain.appendMessage(alice, web(s.id, { localId: 'q1' }));
      q.setNow(q.now() + 100);
      await q.domain.appendMessage(alice, { sessionId: s.id, contentJson: '{}', invoked: true });
      q.setNow(q.now() + 100);
      await q.domain.markConsumed(alice, s.id, ['q1'], q.now());
      const page = await q.queue.page(alice, s.id, { limit: 10 });
      expect(page.messages.map((m) => m.localId)).to.deep.equal([null, 'q1']);
    });

    it('when reading after a position up to a snapshot, then the page stops there; past the head it is empty and keeps the cursor', async () => {
      const q = await makeQueue();
      const s = await q.session();
      for (let i = 0; i < 6; i++) {
        q.setNow(q.now() + 10);
        await q.domain.appendMessage(alice, { sessionId: s.id, contentJson: '{}', invoked: true });
      }
      const first = { at: 1_000_010, seq: 1 };
      const until = { at: 1_000_050, seq: 5 };
      const a = await q.queue.page(alice, s.id, { limit: 2, after: first, until, epoch: 0 });
      expect(a.messages.map((m) => m.seq)).to.deep.equal([2, 3]);
      expect(a).to.deep.include({ direction: 'after', hasMore: true, nextBefore: null });
      expect(a.nextAfter).to.deep.equal({ at: 1_000_030, seq: 3 });
      expect(a.snapshotHead).to.deep.equal(until);
      const b = await q.queue.page(alice, s.id, { limit: 2, after: a.nextAfter!, until });
      expect(b.messages.map((m) => m.seq)).to.deep.equal([4, 5]);
      expect(b.hasMore).to.equal(false);
      const past = await q.queue.page(alice, s.id, { limit: 2, after: { at: 1_000_060, seq: 6 } });
      expect(past).to.deep.include({ messages: [], hasMore: false });
      expect(past.nextAfter).to.deep.equal({ at: 1_000_060, seq: 6 });
    });

    it('when a message lands before the newest one, then the epoch goes up and an after-cursor of the old epoch gets the latest page with reset', async () => {
      const q = await makeQueue();
      const s = await q.session();
      await q.domain.appendMessage(alice, { sessionId: s.id, contentJson: '{}', invoked: true });
      q.setNow(q.now() + 1000);
      await q.domain.appendMessage(alice, { sessionId: s.id, contentJson: '{}', invoked: true });
      expect((await q.queue.page(alice, s.id, { limit: 10 })).epoch).to.equal(0);
      await q.domain.appendMessage(alice, { sessionId: s.id, contentJson: '{"late":true}', invoked: true, createdAt: q.now() - 500 });
      const stale = await q.queue.page(alice, s.id, { limit: 10, after: { at: q.now(), seq: 2 }, epoch: 0 });
      expect(stale).to.deep.include({ direction: 'latest', reset: true, epoch: 1 });
      expect(stale.messages.map((m) => m.seq)).to.deep.equal([1, 3, 2]);
    });

    it('when cursors are combined wrongly or the limit is too big, then invalid_argument; bob is denied', async () => {
      const q = await makeQueue();
      const s = await q.session();
      await rejects(q.queue.page(alice, s.id, { limit: 10, before: { at: 1, seq: 1 }, after: { at: 1, seq: 1 } }), 'invalid_argument');
      await rejects(q.queue.page(alice, s.id, { limit: 10, until: { at: 1, seq: 1 } }), 'invalid_argument');
      await rejects(q.queue.page(alice, s.id, { limit: 201 }), 'invalid_argument');
      await rejects(q.queue.page(bob, s.id, { limit: 10 }), 'permission_denied', 'Session access denied');
    });

    it('when the CLI backfills, then messages held for later and of unknown delivery are left out', async () => {
      const q = await makeQueue();
      const s = await q.session();
      await q.domain.appendMessage(alice, web(s.id, { localId: 'now' }));
      await q.domain.appendMessage(alice, web(s.id, { localId: 'later', scheduledAt: q.now() + 5_000 }));
      await q.domain.appendMessage(alice, web(s.id, { localId: 'unsure' }));
      await q.queue.setDeliveryState(alice, s.id, ['unsure'], 'indeterminate');
      const seen = async () => (await q.queue.deliverable(alice, s.id, { afterSeq: 0, limit: 0, queuedOnly: false })).map((m) => m.localId);
      expect(await seen()).to.deep.equal(['now']);
      q.setNow(q.now() + 5_000);
      expect(await seen()).to.deep.equal(['now', 'later']);
      await rejects(q.queue.deliverable(bob, s.id, { afterSeq: 0, limit: 0, queuedOnly: false }), 'permission_denied');
    });
  });

  describe('the queue', () => {
    it('when a queued message is cancelled, then it is gone, message-cancelled is published and the epoch goes up; a taken one is not cancelled', async () => {
      const q = await makeQueue();
      const s = await q.session();
      const m = (await q.domain.appendMessage(alice, web(s.id, { localId: 'L' }))).message;
      const taken = (await q.domain.appendMessage(alice, web(s.id, { localId: 'T' }))).message;
      await q.domain.markConsumed(alice, s.id, ['T'], q.now());
      q.sink.clear();
      expect(await q.queue.cancel(bob, s.id, m.id).catch((e: AppError) => e.code)).to.equal('permission_denied');
      expect(await q.queue.cancel(alice, s.id, 'L')).to.deep.equal({ cancelled: true, message: null });
      expect(q.sink.events.map((e) => e.input.syncEvent)).to.deep.equal([{ type: 'message-cancelled', sessionId: s.id, messageId: m.id, localId: 'L' }]);
      expect(await q.queue.find(alice, s.id, m.id)).to.equal(null);
      expect((await q.queue.page(alice, s.id, { limit: 10 })).epoch).to.equal(1);
      const notCancelled = await q.queue.cancel(alice, s.id, taken.id);
      expect(notCancelled.cancelled).to.equal(false);
      expect(notCancelled.message?.invokedAt).to.equal(q.now());
      expect(await q.queue.cancel(alice, s.id, 'nope')).to.deep.equal({ cancelled: false, message: null });
    });

    it('when delivery states move, then only HAPI\'s transitions apply and indeterminate / re-queued ones are announced', async () => {
      const q = await makeQueue();
      const s = await q.session();
      await q.domain.appendMessage(alice, web(s.id, { localId: 'a' }));
      await q.domain.appendMessage(alice, web(s.id, { localId: 'b' }));
      await q.domain.markConsumed(alice, s.id, ['b'], q.now());
      q.sink.clear();
      expect(await q.queue.setDeliveryState(alice, s.id, ['a', 'b', 'missing'], 'dispatching')).to.deep.equal(['a']);
      expect(q.sink.events, 'dispatching is not shown').to.deep.equal([]);
      expect(await q.queue.setDeliveryState(alice, s.id, ['a'], 'indeterminate')).to.deep.equal(['a']);
      expect(await q.queue.setDeliveryState(alice, s.id, ['a'], 'indeterminate'), 'already there').to.deep.equal([]);
      expect(await q.queue.setDeliveryState(alice, s.id, ['a'], 'queued')).to.deep.equal(['a']);
      expect(q.sink.events.map((e) => e.input.syncEvent)).to.deep.equal([
        { type: 'messages-indeterminate', sessionId: s.id, localIds: ['a'] },
        { type: 'messages-requeued', sessionId: s.id, localIds: ['a'] },
      ]);
      await rejects(q.queue.setDeliveryState(alice, s.id, Array.from({ length: 1001 }, (_, i) => `x${i}`), 'queued'), 'invalid_argument', 'at most 1000 localIds per call');
      await rejects(q.queue.setDeliveryState(bob, s.id, ['a'], 'indeterminate'), 'permission_denied');
    });

    it('when a retry claims an indeterminate message, then it becomes dispatching once; a queued one cannot be claimed', async () => {
      const q = await makeQueue();
      const s = await q.session();
      await q.domain.appendMessage(alice, web(s.id, { localId: 'a' }));
      expect(await q.queue.claimIndeterminate(alice, s.id, 'a')).to.equal(null);
      await q.queue.setDeliveryState(alice, s.id, ['a'], 'indeterminate');
      expect((await q.queue.claimIndeterminate(alice, s.id, 'a'))?.deliveryState).to.equal('dispatching');
      expect(await q.queue.claimIndeterminate(alice, s.id, 'a')).to.equal(null);
    });

    it('when the queued state is asked, then queued, unknown and taken local ids are told apart', async () => {
      const q = await makeQueue();
      const s = await q.session();
      for (const l of ['q', 'u', 'd', 't']) await q.domain.appendMessage(alice, web(s.id, { localId: l }));
      await q.queue.setDeliveryState(alice, s.id, ['u'], 'indeterminate');
      await q.queue.setDeliveryState(alice, s.id, ['d'], 'dispatching');
      await q.domain.markConsumed(alice, s.id, ['t'], 777);
      expect(await q.queue.queuedState(alice, s.id, ['q', 'u', 'd', 't', 'never'])).to.deep.equal({
        queuedLocalIds: ['q'],
        indeterminateLocalIds: ['u', 'd'],
        invoked: [{ localId: 't', invokedAt: 777 }],
      });
      await rejects(q.queue.queuedState(bob, s.id, ['q']), 'permission_denied');
    });

    it('when a shared session\'s own app queues, edits and drops a message, then it is stored, replaced and removed without reaching the CLI; other sessions ignore it', async () => {
      const q = await makeQueue();
      const shared = await q.session(alice, 'codex', { capabilities: { concurrentClients: true } });
      const plain = await q.session(alice, 'codex');
      const content = (text: string) => JSON.stringify({ role: 'user', content: { type: 'text', text }, meta: { sentFrom: 'cli', isNativeQueuedMessage: true } });
      expect(await q.queue.syncNative(alice, plain.id, 'n1', content('x'))).to.deep.equal({ message: null, removed: false });
      const first = await q.queue.syncNative(alice, shared.id, 'n1', content('first'));
      const edited = await q.queue.syncNative(alice, shared.id, 'n1', content('edited'));
      expect(edited.message?.id).to.equal(first.message?.id);
      expect(edited.message?.contentJson).to.equal(content('edited'));
      expect(await q.queue.syncNative(alice, shared.id, 'n1', undefined)).to.deep.equal({ message: null, removed: true });
      const shown = q.sink.events.filter((e) => e.ns === alice && e.input.sessionId === shared.id);
      expect(shown.map((e) => e.input.type)).to.deep.equal(['session-updated', 'message-received', 'message-received', 'message-cancelled']);
      expect(shown.every((e) => e.input.socketUpdate === undefined), 'nothing goes to the CLI').to.equal(true);
      await rejects(q.queue.syncNative(bob, shared.id, 'n2', content('x')), 'permission_denied');
    });

    it('when a session ends, then the messages it was given at once count as taken; scheduled ones stay queued; a shared session keeps its queue', async () => {
      const q = await makeQueue();
      const s = await q.session();
      await q.domain.appendMessage(alice, web(s.id, { localId: 'now' }));
      await q.domain.appendMessage(alice, web(s.id, { localId: 'later', scheduledAt: q.now() + 60_000 }));
      q.sink.clear();
      expect(await q.queue.sweepOnEnd(alice, s.id, 5)).to.deep.equal(['now']);
      expect(q.sink.events.map((e) => e.input.syncEvent)).to.deep.equal([{ type: 'messages-consumed', sessionId: s.id, localIds: ['now'], invokedAt: 5 }]);
      expect((await q.queue.queuedState(alice, s.id, ['now', 'later'])).queuedLocalIds).to.deep.equal(['later']);
      const shared = await q.session(alice, 'codex', { capabilities: { concurrentClients: true } });
      await q.domain.appendMessage(alice, web(shared.id, { localId: 'kept' }));
      expect(await q.queue.sweepOnEnd(alice, shared.id, 5)).to.deep.equal([]);
      await rejects(q.queue.sweepOnEnd(bob, s.id, 5), 'permission_denied');
    });

    it('when the CLI says it steered the messages it took, then messages-consumed says steered', async () => {
      const q = await makeQueue();
      const s = await q.session(alice, 'codex');
      await q.domain.appendMessage(alice, web(s.id, { localId: 'a' }));
      q.sink.clear();
      await q.domain.markConsumed(alice, s.id, ['a'], 9, true);
      expect(q.sink.events.map((e) => e.input.syncEvent)).to.deep.equal([{ type: 'messages-consumed', sessionId: s.id, localIds: ['a'], invokedAt: 9, steered: true }]);
    });
  });
});
