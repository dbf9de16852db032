import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SessionDomain } from '../../../services/session/domain.js';
import { SessionEvents } from '../../../services/session/events.js';
import { ScheduledDelivery } from '../../../services/session/scheduler.js';
import { SqliteSessionStore } from '../../../services/session/store-sqlite.js';
import { waitFor } from '../../helpers/ports.js';
import { byNamespace, RecordingSink, silentLog } from '../../unit/call-context.js';
import { alice, metadataOf } from '../../unit/session/message-fakes.js';

const T0 = 1_000_000;
const WEB = JSON.stringify({ role: 'user', content: { type: 'text', text: 'later' }, meta: { sentFrom: 'webapp' } });

/**
 * Two replicas of the session service on one SQLite file (as two processes would open it), each
 * with its scheduler, a recording sink and a shared settable clock.
 */
async function twoReplicas() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'teamhub-scheduler-'));
  const file = path.join(dir, 'session.db');
  let now = T0;
  const clock = () => now;
  const replicas = await Promise.all(
    [0, 1].map(async () => {
      const store = await SqliteSessionStore.open(file);
      const sink = new RecordingSink();
      const events = new SessionEvents(sink);
      const scheduler = new ScheduledDelivery(store, events, { pollMs: 50, claimMs: 30_000, log: silentLog, clock });
      return { store, sink, scheduler, domain: byNamespace(new SessionDomain(store, events, clock)) };
    }),
  );
  const [a] = replicas;
  const { session } = await a!.domain.createOrLoad(alice, { tag: 't', metadataJson: metadataOf('claude') });
  await a!.domain.setActive(alice, session.id, true, now);
  const schedule = async (localId: string, at: number) =>
    (await a!.domain.appendMessage(alice, { sessionId: session.id, contentJson: WEB, localId, invoked: false, scheduledAt: at, deliveryMode: 'queue', requireActive: true })).message;
  const matured = () => replicas.flatMap((r) => r.sink.events.filter((e) => e.change.$case === 'scheduledMessageMatured'));
  return {
    replicas,
    session,
    schedule,
    matured,
    setNow: (t: number) => (now = t),
    async close() {
      for (const r of replicas) {
        await r.scheduler.stop();
        await r.store.close();
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe('scheduled delivery (store claims, two replicas on one store)', () => {
  let h: Awaited<ReturnType<typeof twoReplicas>>;
  beforeEach(async () => {
    h = await twoReplicas();
  });
  afterEach(async () => h.close());

  it('when a message is not due yet, then nothing is delivered; at its time it is delivered once, as new-message and scheduled-matured', async () => {
    const [a, b] = h.replicas;
    const m = await h.schedule('later', T0 + 5_000);
    h.setNow(T0 + 4_999);
    expect(await a!.scheduler.deliverDue()).to.equal(0);
    h.setNow(T0 + 5_000);
    expect(await a!.scheduler.deliverDue()).to.equal(1);
    expect(await a!.scheduler.deliverDue()).to.equal(0);
    expect(await b!.scheduler.deliverDue()).to.equal(0);
    const [ev] = h.matured();
    expect(ev!.input.syncEvent).to.deep.equal({ type: 'scheduled-matured', sessionId: h.session.id });
    expect(ev!.input.socketUpdate).to.deep.include({ t: 'new-message', sid: h.session.id });
    expect((ev!.input.socketUpdate!.message as { id: string; content: unknown }).id).to.equal(m.id);
    expect(await a!.store.nextDueAt()).to.equal(null);
  });

  it('when both replicas deliver at the same moment, then each due message is published exactly once', async () => {
    for (let i = 0; i < 40; i++) await h.schedule(`m${i}`, T0 + 1_000 + i);
    h.setNow(T0 + 2_000);
    const [a, b] = h.replicas;
    const counts = await Promise.all([a!.scheduler.deliverDue(), b!.scheduler.deliverDue(), a!.scheduler.deliverDue(), b!.scheduler.deliverDue()]);
    expect(counts.reduce((x, y) => x + y, 0)).to.equal(40);
    const ids = h.matured().map((e) => (e.change as { scheduledMessageMatured: { message: { localId: string } } }).scheduledMessageMatured.message.localId);
    expect(new Set(ids).size).to.equal(40);
    expect(ids).to.have.length(40);
  });

  it('when a replica dies after claiming, then the other delivers it once the claim has run out', async () => {
    const m = await h.schedule('later', T0 + 1_000);
    const [a, b] = h.replicas;
    // Replica a claims and dies before it published (its claim stays in the store).
    expect(await a!.store.claimDueScheduled(T0 + 1_000, T0 + 31_000, 'dead-replica', 10)).to.have.length(1);
    h.setNow(T0 + 30_000);
    expect(await b!.scheduler.deliverDue(), 'the claim still holds').to.equal(0);
    expect(await b!.store.nextDueAt()).to.equal(T0 + 31_000);
    h.setNow(T0 + 31_001);
    expect(await b!.scheduler.deliverDue()).to.equal(1);
    expect(h.matured()).to.have.length(1);
    // The dead replica's claim, should it come back, releases nothing any more.
    expect(await a!.store.releaseScheduled(alice, m.id, 'dead-replica')).to.equal(false);
  });

  it('when publishing fails, then the message is not lost: it goes out after the claim runs out', async () => {
    await h.schedule('later', T0 + 1_000);
    const [a] = h.replicas;
    h.setNow(T0 + 1_000);
    a!.sink.fail = true;
    expect(await a!.scheduler.deliverDue()).to.equal(0);
    a!.sink.fail = false;
    expect(await a!.scheduler.deliverDue()).to.equal(0);
    h.setNow(T0 + 31_001);
    expect(await a!.scheduler.deliverDue()).to.equal(1);
  });

  it('when the message was cancelled or taken before its time, then nothing is delivered', async () => {
    const cancelled = await h.schedule('c', T0 + 1_000);
    await h.schedule('t', T0 + 1_000);
    const [a] = h.replicas;
    await a!.store.deleteQueuedMessage(alice, h.session.id, cancelled.id);
    await a!.store.markConsumed(alice, h.session.id, ['t'], T0 + 10);
    h.setNow(T0 + 5_000);
    expect(await a!.scheduler.deliverDue()).to.equal(0);
    expect(h.matured()).to.deep.equal([]);
  });

  it('when a message is stored while the loop sleeps, then the loop delivers it at its time (not before) and exactly once', async function () {
    this.timeout(10_000);
    // The real clock this time: the loops of both replicas run.
    await h.close();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'teamhub-scheduler-'));
    const file = path.join(dir, 'session.db');
    const stores = [await SqliteSessionStore.open(file), await SqliteSessionStore.open(file)];
    const sinks = [new RecordingSink(), new RecordingSink()];
    const schedulers = stores.map((s, i) => new ScheduledDelivery(s, new SessionEvents(sinks[i]!), { pollMs: 2_000, claimMs: 30_000, log: silentLog }));
    try {
      for (const s of schedulers) s.start();
      const domain = byNamespace(new SessionDomain(stores[0]!, new SessionEvents(sinks[0]!), Date.now, undefined, (at) => schedulers[0]!.wake(at)));
      const { session } = await domain.createOrLoad(alice, { tag: 't', metadataJson: metadataOf('claude') });
      const at = Date.now() + 400;
      await domain.appendMessage(alice, { sessionId: session.id, contentJson: WEB, localId: 'soon', invoked: false, scheduledAt: at });
      const matured = () => sinks.flatMap((s) => s.events.filter((e) => e.change.$case === 'scheduledMessageMatured'));
      await waitFor(() => matured().length > 0, { timeoutMs: 5_000, what: 'scheduled delivery' });
      expect(Date.now()).to.be.at.least(at);
      // A later message is the fence: once it is delivered, a second delivery of the first would have happened.
      await domain.appendMessage(alice, { sessionId: session.id, contentJson: WEB, localId: 'fence', invoked: false, scheduledAt: Date.now() + 100 });
      await waitFor(() => matured().length > 1, { timeoutMs: 5_000, what: 'the fence' });
      // Either replica may deliver either one (both loops may have armed for the first's due
      // time), so the two sinks' order says nothing: each message once is what counts.
      expect(matured().map((e) => (e.change as any).scheduledMessageMatured.message.localId).sort()).to.deep.equal(['fence', 'soon']);
    } finally {
      for (const s of schedulers) await s.stop();
      for (const s of stores) await s.close();
      rmSync(dir, { recursive: true, force: true });
      h = await twoReplicas();
    }
  });
});
