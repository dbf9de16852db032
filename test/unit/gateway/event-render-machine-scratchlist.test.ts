import { expect } from 'chai';
import { RenderedEvent } from '../../../gateway/hapi/event-render.js';
import { addressOf, type EventChange } from '../../../lib/events/entity-event.js';
import { EntityEvent } from '../../../lib/gen/teamhub/events/v1/events.js';

const render = (change: EventChange) => new RenderedEvent(EntityEvent.decode(EntityEvent.encode({ namespace: 'alice', at: 1, requestId: 'r', change }).finish()));

describe('gateway: the Antigravity and scratchlist events rendered for HAPI clients', () => {
  it('when a runner announced new Antigravity models, then SSE gets machine-agy-models-updated for that machine and CLI sockets nothing', () => {
    const change: EventChange = { $case: 'machineAgyModelsChanged', machineAgyModelsChanged: { machineId: 'mc' } };
    const r = render(change);
    expect(r.syncEvent).to.deep.equal({ type: 'machine-agy-models-updated', machineId: 'mc' });
    expect(r.socketUpdate).to.equal(null);
    expect(addressOf(change)).to.deep.equal({ entity: 'machine', id: 'mc', kind: 'agy-models-changed' });
  });

  it('when a scratchlist changed, then SSE gets the session-updated patch HAPI sends and CLI sockets nothing', () => {
    const change: EventChange = { $case: 'scratchlistChanged', scratchlistChanged: { sessionId: 's1', updatedAt: 42 } };
    const r = render(change);
    expect(JSON.stringify(r.syncEvent)).to.equal('{"type":"session-updated","sessionId":"s1","data":{"scratchlistUpdatedAt":42}}');
    expect(r.socketUpdate).to.equal(null);
    expect(addressOf(change)).to.deep.equal({ entity: 'session', id: 's1', kind: 'scratchlist-changed' });
  });
});
