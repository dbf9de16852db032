import { expect } from 'chai';
import { AppError } from '../../../lib/errors.js';
import type { Namespace } from '../../../lib/namespace.js';
import { SessionControl } from '../../../services/session/control.js';
import { SessionDomain } from '../../../services/session/domain.js';
import { SessionEvents } from '../../../services/session/events.js';
import { ConversationHistory } from '../../../services/session/history.js';
import { SqliteSessionStore } from '../../../services/session/store-sqlite.js';
import { byNamespace, RecordingSink } from '../call-context.js';

const alice = 'alice' as Namespace;
const bob = 'bob' as Namespace;
const META = '{"path":"/tmp/proj","host":"peerhost"}';

async function setup() {
  const store = await SqliteSessionStore.open(':memory:');
  const sink = new RecordingSink();
  let ids = 0;
  const events = new SessionEvents(sink);
  const raw = new SessionDomain(store, events, () => 1_000, () => `id-${++ids}`);
  return {
    sink,
    domain: byNamespace(raw),
    control: byNamespace(new SessionControl(store, events, raw)),
    history: byNamespace(new ConversationHistory(store, events, raw, () => `m-${++ids}`)),
  };
}

async function rejects(p: Promise<unknown>, code: string, message?: string) {
  try {
    await p;
  } catch (err) {
    expect(err).to.be.instanceOf(AppError);
    expect([(err as AppError).code, message === undefined ? undefined : (err as AppError).message]).to.deep.equal([code, message]);
    return;
  }
  expect.fail(`expected ${code}`);
}

describe('session control and conversation history (domain)', () => {
  it('when settings are applied, then only the given ones change, null resets, updatedAt stays, and the web is told the whole session', async () => {
    const { domain, control, sink } = await setup();
    const { session } = await domain.createOrLoad(alice, { tag: 't', metadataJson: META, model: 'sonnet', effort: 'low' });
    sink.clear();
    const after = await control.applyConfig(alice, session.id, { model: null, collaborationMode: 'plan', permissionMode: 'yolo' });
    expect(after).to.include({ model: null, effort: 'low', collaborationMode: 'plan', permissionMode: 'yolo', updatedAt: session.updatedAt });
    expect(sink.events).to.have.length(1);
    expect(sink.events[0]!.input.syncEvent).to.deep.include({ type: 'session-updated', sessionId: session.id });
    expect((sink.events[0]!.input.syncEvent.data as Record<string, unknown>)).to.include({ model: null, collaborationMode: 'plan', permissionMode: 'yolo' });
    sink.clear();
    expect(await control.applyConfig(alice, session.id, {})).to.deep.equal(after);
    expect(sink.events, 'nothing to apply publishes nothing').to.deep.equal([]);
    await rejects(control.applyConfig(alice, session.id, { model: 'x'.repeat(257) }), 'invalid_argument');
  });

  it("when bob applies settings or pins alice's session, then 403 and nothing changes", async () => {
    const { domain, control, sink } = await setup();
    const { session } = await domain.createOrLoad(alice, { tag: 't', metadataJson: META });
    sink.clear();
    await rejects(control.applyConfig(bob, session.id, { model: 'x' }), 'permission_denied', 'Session access denied');
    await rejects(control.setPin(bob, session.id, 'global'), 'permission_denied', 'Session access denied');
    await rejects(control.setPin(alice, 'nope', 'global'), 'not_found', 'Session not found');
    expect(sink.events).to.deep.equal([]);
    expect(await domain.get(alice, session.id)).to.include({ model: null, pinned: false, globalPinned: false });
  });

  it('when a session is pinned, then project and global are exclusive, and pinning again publishes nothing', async () => {
    const { domain, control, sink } = await setup();
    const { session } = await domain.createOrLoad(alice, { tag: 't', metadataJson: META });
    expect(await control.setPin(alice, session.id, 'global')).to.include({ pinned: false, globalPinned: true });
    expect(await control.setPin(alice, session.id, 'project')).to.include({ pinned: true, globalPinned: false });
    sink.clear();
    await control.setPin(alice, session.id, 'project');
    expect(sink.events).to.deep.equal([]);
    expect(await control.setPin(alice, session.id, 'none')).to.include({ pinned: false, globalPinned: false });
  });

  it('when the agent state names permission requests, then the list puts that active session first', async () => {
    const { domain } = await setup();
    const quiet = (await domain.createOrLoad(alice, { tag: 'a', metadataJson: META })).session;
    const asking = (await domain.createOrLoad(alice, { tag: 'b', metadataJson: META })).session;
    await domain.setActive(alice, quiet.id, true, 5);
    await domain.setActive(alice, asking.id, true, 5);
    await domain.updateDoc(alice, asking.id, 'agentState', 1, '{"requests":{"r1":{"tool":"Bash"}}}');
    expect((await domain.list(alice, { order: 'list', limit: 1 })).map((s) => s.id)).to.deep.equal([asking.id]);
    await domain.updateDoc(alice, asking.id, 'agentState', 2, '{"requests":{}}');
    expect((await domain.list(alice, { order: 'list', limit: 0 })).map((s) => s.pendingRequestsCount)).to.deep.equal([0, 0]);
    await rejects(domain.list(alice, { order: 'list', limit: -1 }), 'invalid_argument');
  });

  it('when a rewind truncates, then messages-invalidated names the rewind; an unknown localId is not_found and publishes nothing', async () => {
    const { domain, history, sink } = await setup();
    const { session } = await domain.createOrLoad(alice, { tag: 't', metadataJson: META });
    await domain.appendMessage(alice, { sessionId: session.id, contentJson: '{"role":"user"}', localId: 'u1', invoked: true });
    await domain.appendMessage(alice, { sessionId: session.id, contentJson: '{"role":"agent"}', invoked: true });
    sink.clear();
    await rejects(history.truncate(alice, session.id, 'nope', [], 'rewind'), 'not_found');
    await rejects(history.truncate(bob, session.id, 'u1', [], 'rewind'), 'permission_denied');
    expect(sink.events).to.deep.equal([]);
    expect(await history.truncate(alice, session.id, 'u1', [], 'rewind')).to.deep.equal({ deleted: 2, inserted: 0 });
    expect(sink.events.map((e) => e.input.syncEvent)).to.deep.equal([{ type: 'messages-invalidated', sessionId: session.id, reason: 'rewind', truncateFromLocalId: 'u1' }]);
    expect(sink.events[0]!.input.socketUpdate, 'the CLI is not told (it did the rewind)').to.equal(undefined);
  });

  it('when a fork copies into its child, then the child is published with its content; copying into itself or another namespace is refused', async () => {
    const { domain, history, sink } = await setup();
    const src = (await domain.createOrLoad(alice, { tag: 'src', metadataJson: META })).session;
    const child = (await domain.createOrLoad(alice, { tag: 'child', metadataJson: META })).session;
    const foreign = (await domain.createOrLoad(bob, { tag: 'f', metadataJson: META })).session;
    await domain.appendMessage(alice, { sessionId: src.id, contentJson: '{"role":"user"}', localId: 'u1', invoked: true });
    sink.clear();
    expect(await history.copy(alice, src.id, child.id)).to.deep.equal({ copied: 1, localIds: ['u1'] });
    expect(sink.events.map((e) => [e.input.type, e.input.sessionId])).to.deep.equal([['session-updated', child.id]]);
    expect((await domain.get(alice, child.id)).hasConversationContent).to.equal(true);
    await rejects(history.copy(alice, src.id, src.id), 'invalid_argument');
    await rejects(history.copy(alice, src.id, foreign.id), 'permission_denied');
    await rejects(history.copy(bob, src.id, foreign.id), 'permission_denied');
    expect(await history.stats(alice, child.id)).to.deep.equal({ count: 1, contentBytes: 15 });
  });
});
