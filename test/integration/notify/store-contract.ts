/**
 * The contract every NotifyStore must pass, exercised through NotifyDomain so the rules (per
 * namespace, bounds, idempotency, links within one namespace, one VAPID pair) are checked against
 * each real store.
 */
import { expect } from 'chai';
import { AppError } from '../../../lib/errors.js';
import { NotifyDomain, type WorkEventInput } from '../../../services/notify/domain.js';
import type { NotifyStore } from '../../../services/notify/store.js';
import { byNamespace, testHubContext, type ByNamespace } from '../../unit/call-context.js';
import { parseNamespace } from '../../../lib/namespace.js';

const alice = parseNamespace('alice');
const bob = parseNamespace('bob');
const LIMITS = { maxPushSubscriptions: 3, maxDevices: 2, maxWorkEvents: 4, maxWorkLinks: 2 };

async function rejection(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (err) {
    expect(err).to.be.instanceOf(AppError);
    return err as AppError;
  }
  throw new Error('expected a rejection');
}

const event = (extra: Partial<WorkEventInput> = {}): WorkEventInput => ({
  sourceKind: 'test',
  sourceRef: 'ref',
  sinkKind: null,
  sinkRef: null,
  eventType: 'note',
  summary: 'did a thing',
  payloadJson: '{"a":1}',
  artifactRefsJson: '[]',
  tagsJson: '["x"]',
  relatedSessionId: 'sess-1',
  relatedEventId: null,
  provenance: null,
  idempotencyKey: null,
  dedupeKey: null,
  confidence: 0.5,
  severity: null,
  expiresAt: null,
  principalJson: '{"kind":"human","id":"1"}',
  ...extra,
});

export function notifyStoreContract(makeStore: () => Promise<NotifyStore>): void {
  let store: NotifyStore;
  let raw: NotifyDomain;
  let domain: ByNamespace<NotifyDomain>;
  let clock = 1_000;

  beforeEach(async () => {
    store = await makeStore();
    raw = new NotifyDomain(store, LIMITS, () => clock++);
    domain = byNamespace(raw);
  });
  afterEach(async () => {
    await store.close();
  });

  it('when alice subscribes, then her namespace lists the subscription newest first; the same endpoint again replaces it; bob sees none', async () => {
    await domain.subscribe(alice, { endpoint: 'https://push.test/1', p256dh: 'k1', auth: 'a1' });
    await domain.subscribe(alice, { endpoint: 'https://push.test/2', p256dh: 'k2', auth: 'a2' });
    await domain.subscribe(alice, { endpoint: 'https://push.test/1', p256dh: 'k1b', auth: 'a1b' });
    const list = await store.listPushSubscriptions(alice);
    expect(list.map((s) => [s.endpoint, s.p256dh])).to.deep.equal([['https://push.test/1', 'k1b'], ['https://push.test/2', 'k2']]);
    expect(list.every((s) => s.namespace === 'alice')).to.equal(true);
    expect(await store.listPushSubscriptions(bob)).to.deep.equal([]);
  });

  it('when bob removes alice\'s endpoint, then hers stays; when she removes it, it is gone', async () => {
    await domain.subscribe(alice, { endpoint: 'https://push.test/1', p256dh: 'k', auth: 'a' });
    expect(await domain.unsubscribe(bob, 'https://push.test/1')).to.equal(false);
    expect(await store.listPushSubscriptions(alice)).to.have.length(1);
    expect(await domain.unsubscribe(alice, 'https://push.test/1')).to.equal(true);
    expect(await store.listPushSubscriptions(alice)).to.deep.equal([]);
  });

  it('when a namespace holds the most subscriptions it may, then a new endpoint is refused with the limit in the text; a renewed one and another namespace still work', async () => {
    for (const i of [1, 2, 3]) await domain.subscribe(alice, { endpoint: `https://push.test/${i}`, p256dh: 'k', auth: 'a' });
    const err = await rejection(domain.subscribe(alice, { endpoint: 'https://push.test/4', p256dh: 'k', auth: 'a' }));
    expect(err.code).to.equal('failed_precondition');
    expect(err.message).to.equal('Too many push subscriptions in this namespace (limit 3)');
    await domain.subscribe(alice, { endpoint: 'https://push.test/2', p256dh: 'k2', auth: 'a' });
    await domain.subscribe(bob, { endpoint: 'https://push.test/4', p256dh: 'k', auth: 'a' });
  });

  it('when a device token moves to another device id in the namespace, then the old row is dropped; bob\'s same token is his own', async () => {
    await domain.registerDevice(alice, { token: 't1', platform: 'phone', deviceId: 'd1', pushKey: null });
    await domain.registerDevice(bob, { token: 't1', platform: 'phone', deviceId: 'd1', pushKey: null });
    await domain.registerDevice(alice, { token: 't1', platform: 'phone', deviceId: 'd2', pushKey: 'key' });
    expect(await store.countDevices(alice)).to.equal(1);
    expect(await store.hasDevice(alice, 'd2', 'phone')).to.equal(true);
    expect(await store.countDevices(bob)).to.equal(1);
    await domain.registerDevice(alice, { token: 't2', platform: 'ios', deviceId: 'd3', pushKey: 'key' });
    const err = await rejection(domain.registerDevice(alice, { token: 't3', platform: 'wear', deviceId: 'd4', pushKey: null }));
    expect(err.message).to.equal('Too many devices in this namespace (limit 2)');
    expect(await domain.unregisterDevice(bob, 't2')).to.equal(false);
    expect(await domain.unregisterDevice(alice, 't2')).to.equal(true);
    expect(await store.countDevices(alice)).to.equal(1);
  });

  it('when two domains on one store ask for the VAPID keys, then they get the same pair, kept across a reopen', async () => {
    const other = new NotifyDomain(store, LIMITS);
    const [a, b] = await Promise.all([raw.vapidKeys(), other.vapidKeys()]);
    expect(a).to.deep.equal(b);
    expect(a.publicKey).to.match(/^[A-Za-z0-9_-]{87}$/);
    expect((await new NotifyDomain(store, LIMITS).vapidKeys()).privateKey).to.equal(a.privateKey);
  });

  it('when the hub settings are changed, then every namespace reads them, fields unnamed keep their value', async () => {
    expect(await raw.hubSettings(testHubContext())).to.deep.equal({ sessionSummaryContract: false, sessionSummaryInChat: false });
    await raw.setHubSettings(testHubContext(), { sessionSummaryInChat: true });
    await raw.setHubSettings(testHubContext(), { sessionSummaryContract: true });
    expect(await domain.hubSettings(bob)).to.deep.equal({ sessionSummaryContract: true, sessionSummaryInChat: true });
  });

  it('when two writers change the hub settings at once, then both changes land', async () => {
    const other = new NotifyDomain(store, LIMITS);
    await Promise.all([raw.setHubSettings(testHubContext(), { sessionSummaryInChat: true }), other.setHubSettings(testHubContext(), { sessionSummaryContract: true })]);
    expect(await raw.hubSettings(testHubContext())).to.deep.equal({ sessionSummaryContract: true, sessionSummaryInChat: true });
  });

  it('when an event is recorded twice with one idempotency key, then the first is answered (inserted false); bob\'s same key is his own event', async () => {
    const first = await domain.recordWorkEvent(alice, event({ idempotencyKey: 'once' }));
    const again = await domain.recordWorkEvent(alice, event({ idempotencyKey: 'once', summary: 'other' }));
    expect(first.inserted).to.equal(true);
    expect(again).to.deep.equal({ event: first.event, inserted: false });
    const bobs = await domain.recordWorkEvent(bob, event({ idempotencyKey: 'once' }));
    expect(bobs.inserted).to.equal(true);
    expect(bobs.event.id).to.not.equal(first.event.id);
    expect(first.event).to.deep.include({ namespace: 'alice', payloadJson: '{"a":1}', confidence: 0.5, relatedSessionId: 'sess-1' });
  });

  it('when events are listed by session, then newest first within the limit, only the namespace\'s own; another namespace\'s id is not found', async () => {
    const a = await domain.recordWorkEvent(alice, event());
    const b = await domain.recordWorkEvent(alice, event());
    await domain.recordWorkEvent(bob, event());
    expect((await domain.workEventsOfSession(alice, 'sess-1', 0)).map((e) => e.id)).to.deep.equal([b.event.id, a.event.id]);
    expect((await domain.workEventsOfSession(alice, 'sess-1', 1)).map((e) => e.id)).to.deep.equal([b.event.id]);
    expect((await domain.workEventsOfSession(bob, 'sess-1', 0)).map((e) => e.namespace)).to.deep.equal(['bob']);
    expect((await rejection(domain.workEvent(bob, a.event.id))).message).to.equal('Event not found');
    expect((await domain.workEvent(alice, a.event.id)).id).to.equal(a.event.id);
  });

  it('when events are linked, then both ends must be the namespace\'s; links list from either end; bob cannot link or list alice\'s', async () => {
    const a = (await domain.recordWorkEvent(alice, event())).event;
    const b = (await domain.recordWorkEvent(alice, event())).event;
    const link = await domain.linkWorkEvents(alice, { fromEventId: a.id, toEventId: b.id, relationType: 'follows', metadataJson: null });
    expect((await domain.workLinks(alice, b.id)).map((l) => l.id)).to.deep.equal([link.id]);
    expect((await domain.workLinks(alice, a.id)).map((l) => l.id)).to.deep.equal([link.id]);
    const foreign = await rejection(domain.linkWorkEvents(bob, { fromEventId: a.id, toEventId: b.id, relationType: 'x', metadataJson: null }));
    expect([foreign.code, foreign.message, foreign.details.hapiCode]).to.deep.equal(['not_found', 'from_event_id not found in namespace', 'not_found']);
    expect((await rejection(domain.linkWorkEvents(alice, { fromEventId: a.id, toEventId: 'nope', relationType: 'x', metadataJson: null }))).message).to.equal('to_event_id not found in namespace');
    expect((await rejection(domain.workLinks(bob, a.id))).message).to.equal('Event not found');
  });

  it('when the work graph of a namespace is full, then more events and links are refused with the limit; another namespace is not affected', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push((await domain.recordWorkEvent(alice, event())).event.id);
    expect((await rejection(domain.recordWorkEvent(alice, event()))).message).to.equal('The work graph of this namespace is full (limit 4 events)');
    await domain.linkWorkEvents(alice, { fromEventId: ids[0]!, toEventId: ids[1]!, relationType: 'x', metadataJson: null });
    await domain.linkWorkEvents(alice, { fromEventId: ids[1]!, toEventId: ids[2]!, relationType: 'x', metadataJson: null });
    expect((await rejection(domain.linkWorkEvents(alice, { fromEventId: ids[2]!, toEventId: ids[3]!, relationType: 'x', metadataJson: null }))).message).to.equal('The work graph of this namespace is full (limit 2 links)');
    await domain.recordWorkEvent(bob, event());
  });
}
