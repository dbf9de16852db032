import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { startHub, waitFor, type Hub } from '../helpers/hub-harness.js';
import { openSse, type SseClient } from '../helpers/sse-client.js';
import { PROJECT_DIR, World, type SessionFixture } from '../surface/world.js';

/**
 * Session lifecycle through the gateway with stand-in CLI and runner sockets: resume and reopen
 * (spawned on the session's machine, waited for), archive, fork and rewind of the conversation
 * (with the hub's copy of the history following), pin, summary, export and delete, with HAPI's
 * texts, and bob's token on alice's ids refused on each.
 */
describe('e2e session lifecycle', function () {
  this.timeout(180_000);
  let hub: Hub;
  let w: World;
  let aliceSse: SseClient;
  let bobSse: SseClient;

  before(async () => {
    hub = await startHub({ env: { TEAMHUB_SESSION_TRANSITION_WAIT_MS: '3000' } });
    w = await World.create({ kind: 'teamhub', url: hub.url, baseToken: hub.baseToken, output: () => hub.output('gateway0'), stop: () => hub.stop() });
    aliceSse = await openSse(hub.url, '/api/events?all=true', { token: w.jwt('alice') });
    bobSse = await openSse(hub.url, '/api/events?all=true', { token: w.jwt('bob') });
  });
  after(async () => {
    aliceSse?.close();
    bobSse?.close();
    await w?.close();
    await hub?.stop();
  });

  const post = (id: string, route: string, body?: unknown, who: 'alice' | 'bob' = 'alice') => w.request('web', 'POST', `/api/sessions/${id}/${route}`, { who, body });
  const shown = async (id: string) => (await w.request('web', 'GET', `/api/sessions/${id}`)).json.session;
  const messages = async (id: string) => (await w.request('web', 'GET', `/api/sessions/${id}/messages`, { query: { limit: '200' } })).json.messages as Array<{ localId: string | null; content: any }>;
  /**
   * A web message the CLI then reports taken (invokedAt set), as when a turn starts; answers once
   * the web API shows it invoked.
   */
  const invokedMessage = async (s: SessionFixture) => {
    const posted = await w.postMessage(s);
    s.standIn!.emit('messages-consumed', { sid: s.id, localIds: [posted.localId] });
    await waitFor(async () => {
      const page = (await w.request('web', 'GET', `/api/sessions/${s.id}/messages`, { query: { limit: '200' } })).json.messages as Array<{ localId: string | null; invokedAt: number | null }>;
      return page.find((m) => m.localId === posted.localId)?.invokedAt ?? null;
    }, { what: `message ${posted.localId} invoked` });
    return posted;
  };
  /** A message the agent wrote (invoked on arrival), through the CLI socket. */
  const agentSays = async (s: SessionFixture, text: string) => {
    s.standIn!.emit('message', { sid: s.id, message: { role: 'agent', content: { type: 'text', text } } });
    await waitFor(async () => (await messages(s.id)).some((m) => m.content?.content?.text === text), { what: `agent message ${text} stored` });
  };

  it("when an inactive session is resumed, then its machine's runner spawns it under its own id with the agent's session id and the answer waits until it is alive", async () => {
    const s = await w.session('resume', { live: false, metadata: { claudeSessionId: 'claude-resume-1' }, model: 'opus' });
    const r = await post(s.id, 'resume', { permissionMode: 'acceptEdits' });
    expect([r.status, r.json]).to.deep.equal([200, { type: 'success', sessionId: s.id }]);
    const spawn = await (await w.machine()).standIn.waitRpc('spawn-happy-session', (c) => (c.params as { existingSessionId?: string }).existingSessionId === s.id);
    expect(spawn.params).to.deep.equal({
      type: 'spawn-in-directory', directory: PROJECT_DIR, agent: 'claude', model: 'opus', resumeSessionId: 'claude-resume-1',
      permissionMode: 'acceptEdits', existingSessionId: s.id, sessionId: s.id, forkSession: false,
    });
    expect((await shown(s.id)).active).to.equal(true);
  });

  it('when a resume cannot happen, then HAPI\'s errors: no machine 503, no agent id 409, a runner that never brings it up 500, a bad mode 400', async () => {
    const orphan = await w.session('resume-orphan', { live: false, machine: 'none', metadata: { claudeSessionId: 'c-1' } });
    const r1 = await post(orphan.id, 'resume');
    expect([r1.status, r1.json]).to.deep.equal([503, { error: 'No machine online', code: 'no_machine_online' }]);
    // A session that has started (a message, HAPI takes web messages only while it is live) and ended.
    const started = await w.session('resume-started');
    await w.postMessage(started);
    started.standIn!.end();
    await w.waitActive(started, false);
    const r2 = await post(started.id, 'resume');
    expect(r2.status).to.equal(409);
    expect(r2.json.code).to.equal('resume_unavailable');
    const m = await w.machine('never-up');
    m.standIn.onRpc('spawn-happy-session', (p: { existingSessionId: string }) => ({ type: 'success', sessionId: p.existingSessionId }));
    const dead = await w.session('resume-dead', { live: false, machine: 'never-up', metadata: { claudeSessionId: 'c-2' } });
    const r3 = await post(dead.id, 'resume');
    expect([r3.status, r3.json]).to.deep.equal([500, { error: 'Session failed to become active', code: 'resume_failed' }]);
    const r4 = await post(dead.id, 'resume', { permissionMode: 'yolo' });
    expect([r4.status, r4.json]).to.deep.equal([400, { error: 'Invalid permission mode for session flavor' }]);
  });

  it('when an archived session is reopened, then the archive marks go before the resume; when the resume fails they are put back', async () => {
    const archived = { lifecycleState: 'archived', archivedBy: 'cli', archiveReason: 'User terminated' };
    const s = await w.session('reopen', { live: false, metadata: { claudeSessionId: 'c-reopen', ...archived } });
    const r = await post(s.id, 'reopen');
    expect(r.json).to.deep.equal({ ok: true, sessionId: s.id, resumed: true });
    const md = (await shown(s.id)).metadata;
    expect(md).to.not.have.any.keys('lifecycleState', 'archivedBy', 'archiveReason');
    expect(md.lifecycleStateSince).to.be.a('number');
    const stuck = await w.session('reopen-fails', { live: false, machine: 'never-up', metadata: { claudeSessionId: 'c-stuck', ...archived } });
    const failed = await post(stuck.id, 'reopen');
    expect(failed.status).to.equal(500);
    expect((await shown(stuck.id)).metadata).to.include(archived);
    expect((await post(s.id, 'reopen')).json).to.deep.equal({ ok: true, sessionId: s.id, resumed: false });
  });

  it('when a live session is archived, then the CLI gets killSession and the session ends; archived and stopped ones answer as HAPI does', async () => {
    const s = await w.session('archive-live');
    expect((await post(s.id, 'archive')).json).to.deep.equal({ ok: true });
    await s.standIn!.waitRpc('killSession');
    await w.waitActive(s, false);
    const stopped = await w.session('archive-stopped', { live: false, metadata: { lifecycleState: 'stopped' } });
    const r = await post(stopped.id, 'archive');
    expect([r.status, r.json]).to.deep.equal([409, { error: 'Session is inactive' }]);
  });

  it('when alice forks while one of her messages is still queued, then HAPI\'s 409 and the CLI is not asked', async () => {
    const src = await w.session('fork', { metadata: { name: 'parser work', capabilities: { conversationHistory: { forkCurrent: true } }, conversationHistoryPoints: {} } });
    await invokedMessage(src);
    await agentSays(src, 'done with the parser');
    await w.postMessage(src).then(() => undefined);
    // A queued message blocks the fork (HAPI: the agent has not taken it yet).
    const queued = await post(src.id, 'fork');
    expect([queued.status, queued.json]).to.deep.equal([409, { error: 'Session has queued messages' }]);
    expect(src.standIn!.rpcs.map((r) => r.method)).to.not.include('fork-conversation');
  });

  it('when the history is idle, then the fork copies what was invoked, names the child after the source and spawns it', async () => {
    const src = await w.session('fork-idle', { metadata: { name: 'parser work', capabilities: { conversationHistory: { forkCurrent: true } } } });
    const first = await invokedMessage(src);
    await agentSays(src, 'done with the parser');
    const r = await post(src.id, 'fork');
    expect(r.status, r.text).to.equal(200);
    const childId = r.json.sessionId as string;
    const child = await shown(childId);
    expect(child.metadata).to.include({ forkedFrom: src.id, claudeSessionId: 'native-fork-stand-in', path: PROJECT_DIR, startedBy: 'runner' });
    expect(child.metadata.summary.text).to.equal('Fork: parser work');
    const copied = await messages(childId);
    expect(copied.map((m) => m.localId)).to.deep.equal([first.localId, null]);
    expect(copied[1]!.content.content.text).to.equal('done with the parser');
    const spawn = await (await w.machine()).standIn.waitRpc('spawn-happy-session', (c) => (c.params as { existingSessionId?: string }).existingSessionId === childId);
    expect(spawn.params).to.include({ resumeSessionId: 'native-fork-stand-in', sessionType: 'simple', agent: 'claude' });
    const bob = await post(src.id, 'fork', undefined, 'bob');
    expect([bob.status, bob.json]).to.deep.equal([403, { error: 'Session access denied' }]);
    const noFork = await w.session('fork-unsupported');
    expect((await post(noFork.id, 'fork')).json).to.deep.equal({ error: 'Fork current is not supported for this session' });
    const badJson = await w.request('web', 'POST', `/api/sessions/${noFork.id}/fork`, { rawBody: '{oops', headers: { 'content-type': 'application/json' } });
    expect([badJson.status, badJson.json]).to.deep.equal([400, { error: 'Invalid JSON body' }]);
  });

  it('when alice rewinds to an invoked message, then the later history is dropped and her streams (not bob\'s) are told messages-invalidated', async () => {
    const s = await w.session('rewind', { metadata: { capabilities: { conversationHistory: { rewindToMessage: true } } } });
    const keep = await invokedMessage(s);
    await agentSays(s, 'first answer');
    const cut = await invokedMessage(s);
    await agentSays(s, 'second answer');
    const bobFramesBefore = bobSse.frames.length;
    const r = await post(s.id, 'rewind', { messageLocalId: cut.localId });
    expect([r.status, r.json]).to.deep.equal([200, { success: true }]);
    expect((await s.standIn!.waitRpc('rewind-conversation')).params).to.deep.equal({ messageLocalId: cut.localId });
    const left = await messages(s.id);
    expect(left.map((m) => m.localId)).to.deep.equal([keep.localId, null]);
    const frame = await aliceSse.waitFrame((f) => f.data?.type === 'messages-invalidated' && f.data.sessionId === s.id);
    expect(frame.data).to.include({ reason: 'rewind', truncateFromLocalId: cut.localId, namespace: 'alice' });
    // A later write of alice's is the fence: bob's stream got nothing about her session.
    await post(s.id, 'permission-mode', { mode: 'plan' });
    await aliceSse.waitFrame((f) => f.data?.type === 'session-updated' && f.data.sessionId === s.id && f.data.data?.permissionMode === 'plan');
    expect(bobSse.frames.slice(bobFramesBefore).filter((f) => JSON.stringify(f.data ?? '').includes(s.id))).to.deep.equal([]);
    const notInvoked = await post(s.id, 'rewind', { messageLocalId: 'never-sent' });
    expect([notInvoked.status, notInvoked.json]).to.deep.equal([409, { error: 'History boundary message not found or not yet invoked', hydrateFailed: false }]);
    const bob = await post(s.id, 'rewind', { messageLocalId: keep.localId }, 'bob');
    expect(bob.status).to.equal(403);
    expect((await messages(s.id)).map((m) => m.localId)).to.deep.equal([keep.localId, null]);
  });

  it("when the CLI refuses a rewind, then its reason (and code) is answered 409 and the stored history stays", async () => {
    const s = await w.session('rewind-fails', { metadata: { capabilities: { conversationHistory: { rewindToMessage: true } } } });
    const m = await invokedMessage(s);
    s.standIn!.onRpc('rewind-conversation', () => ({ success: false, error: 'transcript locked', code: 'locked' }));
    const refused = await post(s.id, 'rewind', { messageLocalId: m.localId });
    expect([refused.status, refused.json]).to.deep.equal([409, { error: 'transcript locked', code: 'locked', hydrateFailed: false }]);
    s.standIn!.onRpc('rewind-conversation', () => {
      throw new Error('boom');
    });
    // The CLI's thrown handler error arrives as {error}: not a success, answered with that text.
    const odd = await post(s.id, 'rewind', { messageLocalId: m.localId });
    expect([odd.status, odd.json]).to.deep.equal([409, { error: 'boom', hydrateFailed: false }]);
    expect((await messages(s.id)).map((x) => x.localId)).to.deep.equal([m.localId]);
  });

  it('when alice pins, summarises and renames, then the list and the session show it; bad bodies get HAPI\'s texts after the session check', async () => {
    const a = await w.session('pin-a');
    const b = await w.session('pin-b');
    expect((await w.request('web', 'PUT', `/api/sessions/${b.id}/pin`, { body: { mode: 'global' } })).json).to.deep.equal({ ok: true });
    expect((await w.request('web', 'PUT', `/api/sessions/${a.id}/pin`, { body: { mode: 'project' } })).json).to.deep.equal({ ok: true });
    const list = (await w.request('web', 'GET', '/api/sessions', { query: { limit: '2' } })).json.sessions;
    expect(list.map((s: { id: string; pinned: boolean; globalPinned: boolean }) => [s.id, s.pinned, s.globalPinned])).to.deep.equal([[b.id, false, true], [a.id, true, false]]);
    expect((await w.request('web', 'PATCH', `/api/sessions/${a.id}/summary`, { body: { text: '  fixing the lexer ' } })).json).to.deep.equal({ ok: true });
    expect((await shown(a.id)).metadata.summary.text).to.equal('fixing the lexer');
    const bad = await w.request('web', 'PUT', `/api/sessions/${a.id}/pin`, { body: { mode: 'top' } });
    expect([bad.status, bad.json]).to.deep.equal([400, { error: 'Invalid body: mode must be none, project, or global' }]);
    const badJson = await w.request('web', 'PATCH', `/api/sessions/${a.id}`, { rawBody: 'not json', headers: { 'content-type': 'application/json' } });
    expect([badJson.status, badJson.json]).to.deep.equal([400, { error: 'Invalid body: name is required' }]);
    const foreignBad = await w.request('web', 'PATCH', `/api/sessions/${a.id}`, { who: 'bob', rawBody: 'not json', headers: { 'content-type': 'application/json' } });
    expect([foreignBad.status, foreignBad.json]).to.deep.equal([403, { error: 'Session access denied' }]);
    for (const [method, route, body] of [['PUT', 'pin', { mode: 'none' }], ['PATCH', 'summary', { text: 'x' }], ['POST', 'title-suggestion', undefined]] as const) {
      const r = await w.request('web', method, `/api/sessions/${b.id}/${route}`, { who: 'bob', body });
      expect([route, r.status]).to.deep.equal([route, 403]);
    }
    expect((await shown(b.id)).globalPinned).to.equal(true);
    const bobList = (await w.request('web', 'GET', '/api/sessions', { who: 'bob' })).json.sessions.map((s: { id: string }) => s.id);
    expect(bobList).to.not.include.members([a.id, b.id]);
  });

  it('when a session is exported, then the JSON document streams every visible message page by page; bob is refused', async () => {
    const s = await w.session('export', { live: false });
    const writer = await w.extraStandIn('alice', 'session', s.id, { methods: [] });
    for (let i = 0; i < 450; i++) writer.emit('message', { sid: s.id, message: { role: 'agent', content: { type: 'text', text: `line ${i}` } } });
    // Claude's meta output is not part of an export.
    writer.emit('message', { sid: s.id, message: { role: 'agent', content: { type: 'output', data: { type: 'system', subtype: 'init', isMeta: true } } } });
    await waitFor(async () => (await w.request('web', 'GET', `/api/sessions/${s.id}/messages`, { query: { limit: '1' } })).json.messages[0]?.seq === 451, {
      what: 'all 451 agent messages stored',
      timeoutMs: 20_000,
    });
    await w.postMessage(s); // still queued: not exported
    const r = await w.request('web', 'GET', `/api/sessions/${s.id}/export`);
    expect(r.status).to.equal(200);
    expect(r.headers.get('content-type')).to.match(/^application\/json/);
    expect(r.json).to.include({ schemaVersion: 2 });
    expect(r.json.session.id).to.equal(s.id);
    expect(r.json.messages).to.have.length(450);
    // The socket's messages are stored concurrently, so their seqs need not follow the sending order.
    expect(new Set(r.json.messages.map((m: any) => m.content.content.text))).to.deep.equal(new Set(Array.from({ length: 450 }, (_, i) => `line ${i}`)));
    const seqs = r.json.messages.map((m: any) => m.seq as number);
    expect(seqs).to.deep.equal([...seqs].sort((x, y) => x - y));
    expect(r.json.scratchlist).to.deep.equal([]);
    const bob = await w.request('web', 'GET', `/api/sessions/${s.id}/export`, { who: 'bob' });
    expect([bob.status, bob.json]).to.deep.equal([403, { error: 'Session access denied' }]);
  });

  it("when alice deletes, then an active session is refused with HAPI's text, an inactive one goes (session-removed); bob cannot", async () => {
    const live = await w.session('delete-live');
    const r = await w.request('web', 'DELETE', `/api/sessions/${live.id}`);
    expect([r.status, r.json]).to.deep.equal([409, { error: 'Cannot delete active session. Archive it first.' }]);
    const idle = await w.session('delete-idle', { live: false });
    expect((await w.request('web', 'DELETE', `/api/sessions/${idle.id}`, { who: 'bob' })).status).to.equal(403);
    expect((await w.request('web', 'DELETE', `/api/sessions/${idle.id}`)).json).to.deep.equal({ ok: true });
    await aliceSse.waitFrame((f) => f.data?.type === 'session-removed' && f.data.sessionId === idle.id);
    expect((await w.request('web', 'GET', `/api/sessions/${idle.id}`)).status).to.equal(404);
    const title = await post(live.id, 'title-suggestion');
    expect([title.status, title.json]).to.deep.equal([503, { error: 'Title suggestions are not configured on this Hub' }]);
    expect((await post(randomUUID(), 'title-suggestion')).status).to.equal(404);
  });
});
