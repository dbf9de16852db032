import { expect } from 'chai';
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { RenderedEvent } from '../../../gateway/hapi/event-render.js';
import { toHapiMessage } from '../../../gateway/hapi/session-view.js';
import type { EventChange } from '../../../lib/events/entity-event.js';
import { EntityEvent, SessionDoc } from '../../../lib/gen/teamhub/events/v1/events.js';
import { Machine } from '../../../lib/gen/teamhub/machine/v1/machine.js';
import { Session, type Message } from '../../../lib/gen/teamhub/session/v1/session.js';

const SESSION = Session.fromPartial({ id: 's1', namespace: 'alice', metadataJson: '{"path":"/p","host":"h"}', metadataVersion: 2, agentStateJson: '{"requests":{}}', agentStateVersion: 3, active: true });
const MESSAGE: Message = { id: 'm1', sessionId: 's1', seq: 4, createdAt: 10, localId: 'L', contentJson: '{"role":"user","content":{"type":"text","text":"hi"}}', invokedAt: undefined };
const MACHINE = Machine.fromPartial({ id: 'mc', namespace: 'alice', metadataJson: '{"host":"h","platform":"linux","happyCliVersion":"0.30.7"}', metadataVersion: 5, runnerStateJson: '{"status":"running"}', runnerStateVersion: 6 });

/** What a subscriber decodes for `change` (encoded and decoded, as on NATS). */
const render = (change: EventChange | undefined) =>
  new RenderedEvent(EntityEvent.decode(EntityEvent.encode({ namespace: 'alice', at: 1, requestId: 'r', change }).finish()));

describe('gateway: typed events rendered for HAPI clients', () => {
  it('when a session is created, then SSE gets session-added with the whole HAPI session and CLI sockets nothing', () => {
    const r = render({ $case: 'sessionUpserted', sessionUpserted: { session: SESSION, created: true, changedDocs: [] } });
    expect(Object.keys(r.syncEvent!)).to.deep.equal(['type', 'sessionId', 'data']);
    expect(r.syncEvent).to.deep.include({ type: 'session-added', sessionId: 's1' });
    expect((r.syncEvent!.data as Record<string, unknown>).metadata).to.deep.equal({ path: '/p', host: 'h' });
    expect(r.socketUpdate).to.equal(null);
  });

  it('when a CAS changed the agent state, then session-updated and an update-session with only that document', () => {
    const r = render({ $case: 'sessionUpserted', sessionUpserted: { session: SESSION, created: false, changedDocs: [SessionDoc.SESSION_DOC_AGENT_STATE] } });
    expect(r.syncEvent!.type).to.equal('session-updated');
    expect(JSON.stringify(r.socketUpdate)).to.equal('{"t":"update-session","sid":"s1","metadata":null,"agentState":{"version":3,"value":{"requests":{}}}}');
    const both = render({ $case: 'sessionUpserted', sessionUpserted: { session: SESSION, created: false, changedDocs: [SessionDoc.SESSION_DOC_METADATA, SessionDoc.SESSION_DOC_AGENT_STATE] } });
    expect(both.socketUpdate).to.deep.include({ metadata: { version: 2, value: { path: '/p', host: 'h' } } });
    expect(render({ $case: 'sessionUpserted', sessionUpserted: { session: SESSION, created: false, changedDocs: [] } }).socketUpdate).to.equal(null);
  });

  it('when a session is removed or ended, then the SSE events say so, the reason only when there is one', () => {
    expect(render({ $case: 'sessionRemoved', sessionRemoved: { sessionId: 's1' } }).syncEvent).to.deep.equal({ type: 'session-removed', sessionId: 's1' });
    expect(render({ $case: 'sessionEnded', sessionEnded: { sessionId: 's1', reason: 'killed' } }).syncEvent).to.deep.equal({ type: 'session-ended', sessionId: 's1', reason: 'killed' });
    expect(JSON.stringify(render({ $case: 'sessionEnded', sessionEnded: { sessionId: 's1' } }).syncEvent)).to.equal('{"type":"session-ended","sessionId":"s1"}');
  });

  it('when a message is appended, then the web and CLI shapes come from one parse of its content', () => {
    const r = render({ $case: 'messageAppended', messageAppended: { message: MESSAGE } });
    const parse = JSON.parse;
    let parses = 0;
    JSON.parse = ((t: string, rev?: (k: string, v: unknown) => unknown) => (parses++, parse(t, rev))) as typeof JSON.parse;
    let sync: unknown;
    let socket: unknown;
    try {
      sync = r.syncEvent;
      socket = r.socketUpdate;
      void r.syncEvent;
    } finally {
      JSON.parse = parse;
    }
    expect(parses).to.equal(1);
    expect(JSON.stringify(sync)).to.equal('{"type":"message-received","sessionId":"s1","message":{"id":"m1","seq":4,"localId":"L","content":{"role":"user","content":{"type":"text","text":"hi"}},"createdAt":10,"invokedAt":null}}');
    expect(JSON.stringify(socket)).to.equal('{"t":"new-message","sid":"s1","message":{"id":"m1","seq":4,"createdAt":10,"localId":"L","content":{"role":"user","content":{"type":"text","text":"hi"}}}}');
  });

  it('when stored content is not JSON (an internal caller\'s bug), then it is shown as its text, not an error', () => {
    const odd = { ...MESSAGE, contentJson: 'not json' };
    expect(toHapiMessage(odd).content).to.equal('not json');
    expect(render({ $case: 'messageAppended', messageAppended: { message: odd } }).socketUpdate).to.deep.include({ t: 'new-message' });
  });

  it('when messages are consumed, then messages-consumed lists the stamped local ids', () => {
    expect(render({ $case: 'messagesConsumed', messagesConsumed: { sessionId: 's1', localIds: ['a', 'b'], invokedAt: 7 } }).syncEvent).to.deep.equal({ type: 'messages-consumed', sessionId: 's1', localIds: ['a', 'b'], invokedAt: 7 });
  });

  it('when stored history was cut, then messages-invalidated with the reason and first local id only when there are ones, and CLI sockets nothing', () => {
    const rewind = render({ $case: 'messagesInvalidated', messagesInvalidated: { sessionId: 's1', reason: 'rewind', truncateFromLocalId: 'u1' } });
    expect(rewind.syncEvent).to.deep.equal({ type: 'messages-invalidated', sessionId: 's1', reason: 'rewind', truncateFromLocalId: 'u1' });
    expect(rewind.socketUpdate).to.equal(null);
    expect(render({ $case: 'messagesInvalidated', messagesInvalidated: { sessionId: 's1', reason: '' } }).syncEvent).to.deep.equal({ type: 'messages-invalidated', sessionId: 's1' });
  });

  it('when a machine changes, then machine-updated with the HAPI machine, and update-machine only for changed documents', () => {
    const r = render({ $case: 'machineUpserted', machineUpserted: { machine: MACHINE, metadataChanged: false, runnerStateChanged: true } });
    expect(r.syncEvent).to.deep.include({ type: 'machine-updated', machineId: 'mc' });
    expect((r.syncEvent!.data as Record<string, unknown>).runnerState).to.deep.equal({ status: 'running' });
    expect(r.socketUpdate).to.deep.equal({ t: 'update-machine', machineId: 'mc', metadata: null, runnerState: { version: 6, value: { status: 'running' } } });
    expect(render({ $case: 'machineUpserted', machineUpserted: { machine: MACHINE, metadataChanged: false, runnerStateChanged: false } }).socketUpdate).to.equal(null);
    expect(render({ $case: 'machineRemoved', machineRemoved: { machineId: 'mc' } }).syncEvent).to.deep.equal({ type: 'machine-updated', machineId: 'mc', data: null });
  });

  it('when an event of the older layout (HAPI JSON in strings) is still in the stream, then it decodes without a change and renders nothing', () => {
    const w = new BinaryWriter();
    w.uint32(10).string('alice').uint32(18).string('session').uint32(26).string('s1').uint32(34).string('session-updated');
    w.uint32(40).int64(99).uint32(50).string('{"type":"session-updated","sessionId":"s1","data":{}}');
    const old = EntityEvent.decode(w.finish());
    expect([old.namespace, old.at, old.change]).to.deep.equal(['alice', 99, undefined]);
    const r = new RenderedEvent(old);
    expect([r.syncEvent, r.socketUpdate]).to.deep.equal([null, null]);
  });
});
