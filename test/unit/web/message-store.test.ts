import { expect } from 'chai';
import type { StoredMessage } from '../../../web/src/lib/chat/conversation.js';
import { applyAfter, applyLatest, applyLive, applyOlder, catchUpQuery, deliveryOf, EMPTY, mergeMessages, olderQuery, removeMessage, updateByLocalIds } from '../../../web/src/lib/message-store.js';

const m = (seq: number, extra: Partial<StoredMessage> = {}): StoredMessage => ({ id: `m${seq}`, seq, localId: null, content: { role: 'agent' }, createdAt: seq * 10, invokedAt: seq * 10, ...extra });
const ids = (list: StoredMessage[]) => list.map((x) => x.id);

describe('web message store: cursor paging, live rows and the send queue', () => {
  it('when the newest page comes with HAPI cursor fields, then "older" asks with beforeSeq and beforeAt together', () => {
    const s = applyLatest(EMPTY, { messages: [m(51), m(52)], page: { hasMore: true, nextBeforeSeq: 51, nextBeforeAt: 510, epoch: 3 } });
    expect(olderQuery(s)).to.deep.equal({ beforeSeq: '51', beforeAt: '510' });
    const older = applyOlder(s, { messages: [m(49), m(50)], page: { hasMore: false, nextBeforeSeq: 49, nextBeforeAt: 490 } });
    expect(ids(older.messages)).to.deep.equal(['m49', 'm50', 'm51', 'm52']);
    expect(olderQuery(older)).to.equal(null);
  });

  it('when the hub pages by seq only (no nextBeforeAt), then "older" sends beforeSeq alone', () => {
    const s = applyLatest(EMPTY, { messages: [m(11)], page: { hasMore: true, nextBeforeSeq: 11 } });
    expect(olderQuery(s)).to.deep.equal({ beforeSeq: '11' });
  });

  it('when the stream reconnects, then the catch-up asks after the newest known position in the same epoch, and a reset page replaces the history', () => {
    let s = applyLatest(EMPTY, { messages: [m(1), m(2)], page: { hasMore: false, epoch: 7 } });
    s = applyLive(s, m(3));
    expect(catchUpQuery(s)).to.deep.equal({ afterSeq: '3', afterAt: '30', epoch: '7' });
    const caught = applyAfter(s, { messages: [m(4)], page: { hasMore: false, direction: 'after', nextAfterSeq: 4, nextAfterAt: 40, epoch: 7 } });
    expect(ids(caught.messages)).to.deep.equal(['m1', 'm2', 'm3', 'm4']);
    expect(catchUpQuery(caught)).to.deep.equal({ afterSeq: '4', afterAt: '40', epoch: '7' });
    const reset = applyAfter(caught, { messages: [m(9)], page: { hasMore: false, reset: true, direction: 'latest', epoch: 8 } });
    expect(ids(reset.messages)).to.deep.equal(['m9']);
    expect(reset.epoch).to.equal(8);
  });

  it('when the hub gives no epoch, then there is no catch-up query (the page reloads the newest page instead)', () => {
    expect(catchUpQuery(applyLatest(EMPTY, { messages: [m(1)], page: { hasMore: false } }))).to.equal(null);
  });

  it('when the stored copy of an optimistic row arrives, then it replaces the local row (matched by localId)', () => {
    const local: StoredMessage = { id: 'local-L1', seq: null, localId: 'L1', content: {}, createdAt: 25, invokedAt: null };
    const merged = mergeMessages([m(2), local], [{ ...m(3), localId: 'L1', invokedAt: null, createdAt: 26 }, m(1)]);
    expect(ids(merged)).to.deep.equal(['m1', 'm2', 'm3']);
  });

  it('when a queued message is consumed later, then it moves to where the agent took it (HAPI positions at invokedAt)', () => {
    let s = applyLatest(EMPTY, { messages: [m(1), { ...m(2), localId: 'q', invokedAt: null, createdAt: 15 }, m(3)], page: { hasMore: false } });
    expect(ids(s.messages)).to.deep.equal(['m1', 'm2', 'm3']);
    s = updateByLocalIds(s, ['q'], (x) => ({ ...x, invokedAt: 35 }));
    expect(ids(s.messages)).to.deep.equal(['m1', 'm3', 'm2']);
    expect(ids(removeMessage(s, 'm2').messages)).to.deep.equal(['m1', 'm3']);
  });

  it('when a consumption was seen live and an older copy of the row arrives, then the consumption is kept', () => {
    const merged = mergeMessages([{ ...m(2), localId: 'q', invokedAt: 99 }], [{ ...m(2), localId: 'q', invokedAt: null }]);
    expect(merged[0]!.invokedAt).to.equal(99);
  });

  it("when the page says how one's own message is doing, then sending, failed, scheduled, queued, unknown and delivered are told apart", () => {
    const mine = (extra: Partial<StoredMessage>) => ({ ...m(5), localId: 'L', invokedAt: null, ...extra });
    const now = 1_000;
    expect(deliveryOf(mine({}), { state: 'sending' }, now)).to.deep.equal({ kind: 'sending' });
    expect(deliveryOf(mine({}), { state: 'failed', error: 'Session is inactive' }, now)).to.deep.equal({ kind: 'failed', error: 'Session is inactive' });
    expect(deliveryOf(mine({ scheduledAt: 5_000 }), { state: 'sent' }, now)).to.deep.equal({ kind: 'scheduled', at: 5_000 });
    expect(deliveryOf(mine({ scheduledAt: 500 }), undefined, now)).to.deep.equal({ kind: 'queued' });
    expect(deliveryOf(mine({ deliveryState: 'indeterminate' }), undefined, now)).to.deep.equal({ kind: 'unknown' });
    expect(deliveryOf(mine({ invokedAt: 900, steered: true }), undefined, now)).to.deep.equal({ kind: 'delivered', steered: true });
    expect(deliveryOf(m(6), undefined, now)).to.equal(null);
  });
});
