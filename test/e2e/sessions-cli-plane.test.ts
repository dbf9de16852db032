import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { startHub, type Hub } from '../helpers/hub-harness.js';
import { PROJECT_DIR, World, type SessionFixture } from '../surface/world.js';

/**
 * The CLI's session calls besides create/load, through the gateway with stand-in sockets: the
 * resume target and local handoff `hapi resume` relies on (its real run is hapi-resume-real), the
 * four-step OpenCode /clear, and the Cursor → ACP migration's answers. Bob's token on alice's ids
 * gets HAPI's coded 403 on each and nothing is relayed.
 */
describe('e2e CLI plane: resume target, handoff, OpenCode clear, Cursor migration', function () {
  this.timeout(120_000);
  let hub: Hub;
  let w: World;

  before(async () => {
    hub = await startHub({ env: { TEAMHUB_SESSION_TRANSITION_WAIT_MS: '1500' } });
    w = await World.create({ kind: 'teamhub', url: hub.url, baseToken: hub.baseToken, output: () => hub.output('gateway0'), stop: () => hub.stop() });
  });
  after(async () => {
    await w?.close();
    await hub?.stop();
  });

  const cli = (method: string, path: string, body?: unknown, who: 'alice' | 'bob' = 'alice') => w.request('cli', method, path, { who, body });
  const opencode = (key: string) => w.session(key, { flavor: 'opencode', metadata: { opencodeSessionId: `oc-${key}` } });

  it('when the resume target is asked, then it answers the agent session id and settings; without one 409, unknown 404, bob 403 (coded)', async () => {
    const s = await w.session('target', { metadata: { claudeSessionId: 'claude-t' }, model: 'opus' });
    const r = await cli('GET', `/cli/sessions/${s.id}/resume-target`);
    expect(r.json.target).to.deep.include({ sessionId: s.id, flavor: 'claude', directory: PROJECT_DIR, agentSessionId: 'claude-t', active: true, controlledByUser: false, model: 'opus', effort: null });
    const none = await w.session('target-none');
    expect((await cli('GET', `/cli/sessions/${none.id}/resume-target`)).json.code).to.equal('resume_unavailable');
    expect((await cli('GET', `/cli/sessions/${randomUUID()}/resume-target`)).json).to.deep.equal({ error: 'Session not found', code: 'session_not_found' });
    const bob = await cli('GET', `/cli/sessions/${s.id}/resume-target`, undefined, 'bob');
    expect([bob.status, bob.json]).to.deep.equal([403, { error: 'Session access denied', code: 'access_denied' }]);
    const bobList = await cli('GET', `/cli/sessions/resumable?machineId=${encodeURIComponent(s.machineId!)}`, undefined, 'bob');
    expect(bobList.json.sessions).to.deep.equal([]);
  });

  it('when a handoff cannot or need not happen, then HAPI\'s answers: inactive ok without RPC, local 409, shared 409, a CLI that stays 500', async () => {
    const idle = await w.session('handoff-idle', { live: false });
    expect((await cli('POST', `/cli/sessions/${idle.id}/handoff-local`)).json).to.deep.equal({ ok: true });
    const local = await w.session('handoff-local', { agentState: { controlledByUser: true } });
    const l = await cli('POST', `/cli/sessions/${local.id}/handoff-local`);
    expect([l.status, l.json]).to.deep.equal([409, { error: 'Session is already controlled by a local terminal', code: 'already_local' }]);
    const shared = await w.session('handoff-shared', { flavor: 'codex', metadata: { capabilities: { concurrentClients: true } } });
    expect((await cli('POST', `/cli/sessions/${shared.id}/handoff-local`)).json).to.deep.equal({ error: 'Shared sessions attach without handoff', code: 'control_mode_not_applicable' });
    const stays = await w.session('handoff-stays');
    const t = await cli('POST', `/cli/sessions/${stays.id}/handoff-local`);
    expect([t.status, t.json]).to.deep.equal([500, { error: 'Timed out waiting for remote session to hand off', code: 'handoff_failed' }]);
    await stays.standIn!.waitRpc('handoff-local');
    const before = stays.standIn!.rpcs.length;
    const bob = await cli('POST', `/cli/sessions/${stays.id}/handoff-local`, undefined, 'bob');
    expect([bob.status, bob.json]).to.deep.equal([403, { error: 'Session access denied', code: 'access_denied' }]);
    expect(stays.standIn!.rpcs.length).to.equal(before);
    expect([idle, local].flatMap((s: SessionFixture) => s.standIn?.rpcs.filter((r) => r.method === 'handoff-local') ?? [])).to.deep.equal([]);
  });

  it('when the CLI clears an OpenCode session, then reserve, confirm, archive-and-end and clear spawn the reserved replacement and link it', async () => {
    const source = await opencode('oc-flow');
    const reserved = await cli('POST', `/cli/sessions/${source.id}/clear-opencode/reserve`);
    expect(reserved.status, reserved.text).to.equal(200);
    const replacementId = reserved.json.sessionId as string;
    expect((await cli('POST', `/cli/sessions/${source.id}/clear-opencode/reserve`)).json).to.deep.equal({ ok: true, sessionId: replacementId }, 'reserving twice answers the same id');
    const replacement = (await cli('GET', `/cli/sessions/${replacementId}`)).json.session;
    expect(replacement).to.include({ active: false, namespace: 'alice' });
    expect(replacement.metadata).to.include({ flavor: 'opencode', path: PROJECT_DIR, startedBy: 'runner', startedFromRunner: true });
    expect(replacement.metadata).to.not.have.any.keys('opencodeSessionId', 'opencodeClearOperation');
    // Too early: native cleanup not confirmed, source still running.
    expect((await cli('POST', `/cli/sessions/${source.id}/clear-opencode`)).json.code).to.equal('clear_unavailable');
    const wrong = await cli('POST', `/cli/sessions/${source.id}/clear-opencode/confirm-cleanup`, { replacementSessionId: randomUUID() });
    expect([wrong.status, wrong.json]).to.deep.equal([409, { error: 'Clear reservation not found', code: 'clear_unavailable' }]);
    expect((await cli('POST', `/cli/sessions/${source.id}/clear-opencode/confirm-cleanup`, { replacementSessionId: replacementId })).json).to.deep.equal({ ok: true, sessionId: replacementId });
    // The CLI archives the source with the /clear reason and exits.
    const current = (await cli('GET', `/cli/sessions/${source.id}`)).json.session;
    const ack = await source.standIn!.ack('update-metadata', {
      sid: source.id,
      expectedVersion: current.metadataVersion,
      metadata: { ...current.metadata, lifecycleState: 'archived', archivedBy: 'cli', archiveReason: 'Cleared by /clear' },
    });
    expect(ack.result).to.equal('success');
    source.standIn!.end('cleared');
    await w.waitActive(source, false);
    const cleared = await cli('POST', `/cli/sessions/${source.id}/clear-opencode`);
    expect(cleared.json).to.deep.equal({ ok: true, sessionId: replacementId });
    const spawn = await (await w.machine()).standIn.waitRpc('spawn-happy-session', (r) => (r.params as { existingSessionId?: string }).existingSessionId === replacementId);
    expect(spawn.params).to.include({ agent: 'opencode', directory: PROJECT_DIR, yolo: false, sessionId: replacementId });
    const linked = (await cli('GET', `/cli/sessions/${source.id}`)).json.session.metadata;
    expect(linked.supersededBySessionId).to.equal(replacementId);
    expect(linked.opencodeClearOperation).to.include({ state: 'completed', replacementSessionId: replacementId });
    expect((await cli('POST', `/cli/sessions/${source.id}/clear-opencode`)).json).to.deep.equal({ ok: true, sessionId: replacementId }, 'a repeated clear answers the link');
    // The replaced source is not resumed any more.
    const resume = await w.request('web', 'POST', `/api/sessions/${source.id}/resume`, { body: {} });
    expect([resume.status, resume.json]).to.deep.equal([409, { error: 'This OpenCode session was replaced by /clear', code: 'resume_unavailable' }]);
  });

  it('when the native cleanup fails, then abort gives the reservation up and the next reserve takes a new id', async () => {
    const source = await opencode('oc-abort');
    const first = (await cli('POST', `/cli/sessions/${source.id}/clear-opencode/reserve`)).json.sessionId as string;
    expect((await cli('POST', `/cli/sessions/${source.id}/clear-opencode/abort`, {})).json).to.deep.equal({ error: 'Invalid clear callback request' });
    expect((await cli('POST', `/cli/sessions/${source.id}/clear-opencode/abort`, { replacementSessionId: first })).json).to.deep.equal({ ok: true, sessionId: source.id });
    expect((await cli('POST', `/cli/sessions/${source.id}/clear-opencode/abort`, { replacementSessionId: first })).json).to.deep.equal({ ok: true, sessionId: source.id });
    const second = (await cli('POST', `/cli/sessions/${source.id}/clear-opencode/reserve`)).json.sessionId as string;
    expect(second).to.be.a('string').and.not.equal(first);
  });

  it("when bob drives alice's /clear, then every step is refused with HAPI's coded 403 and nothing changes", async () => {
    const source = await opencode('oc-foreign');
    const replacementId = (await cli('POST', `/cli/sessions/${source.id}/clear-opencode/reserve`)).json.sessionId as string;
    const denied = { error: 'Session access denied', code: 'access_denied' };
    const deniedCallback = { error: 'Session not found', code: 'access_denied' };
    expect((await cli('POST', `/cli/sessions/${source.id}/clear-opencode/reserve`, undefined, 'bob')).json).to.deep.equal(denied);
    expect((await cli('POST', `/cli/sessions/${source.id}/clear-opencode/confirm-cleanup`, { replacementSessionId: replacementId }, 'bob')).json).to.deep.equal(deniedCallback);
    expect((await cli('POST', `/cli/sessions/${source.id}/clear-opencode/abort`, { replacementSessionId: replacementId }, 'bob')).json).to.deep.equal(deniedCallback);
    expect((await cli('POST', `/cli/sessions/${source.id}/clear-opencode`, undefined, 'bob')).json).to.deep.equal(denied);
    expect((await cli('GET', `/cli/sessions/${replacementId}`, undefined, 'bob')).status).to.equal(403);
    expect((await cli('GET', `/cli/sessions/${source.id}`)).json.session.metadata.opencodeClearOperation).to.include({ state: 'reserved', replacementSessionId: replacementId });
  });

  it('when a Cursor session is migrated to ACP, then HAPI\'s refusals: already ACP or not Cursor 409, running 409, no chat store on the hub 404', async () => {
    const acp = await w.session('cursor-acp', { flavor: 'cursor', metadata: { cursorSessionId: 'chat-1', cursorSessionProtocol: 'acp' } });
    const a = await cli('POST', `/cli/sessions/${acp.id}/migrate-to-acp`, {});
    expect([a.status, a.json.reason]).to.deep.equal([409, 'already_acp']);
    const claude = await w.session('cursor-not');
    expect((await cli('POST', `/cli/sessions/${claude.id}/migrate-to-acp`)).json).to.include({ ok: false, reason: 'not_cursor_session', message: 'session.metadata.flavor must be "cursor"' });
    const running = await w.session('cursor-legacy', { flavor: 'cursor', metadata: { cursorSessionId: 'chat-2', cursorSessionProtocol: 'stream-json' } });
    expect((await cli('POST', `/cli/sessions/${running.id}/migrate-to-acp`, {})).json.reason).to.equal('running_refused');
    const forced = await w.request('web', 'POST', `/api/sessions/${running.id}/migrate-to-acp`, { body: { forceArchiveRunning: true } });
    expect([forced.status, forced.json.reason]).to.deep.equal([404, 'no_legacy_store_on_disk']);
    expect((await w.request('web', 'POST', `/api/sessions/${running.id}/migrate-to-acp`, { body: { keepSource: 'yes' } })).json.error).to.equal('Invalid body');
    const bad = await w.request('cli', 'POST', `/cli/sessions/${running.id}/migrate-to-acp`, { rawBody: '{nope', headers: { 'content-type': 'application/json' } });
    expect([bad.status, bad.json]).to.deep.equal([400, { error: 'Invalid JSON body' }]);
    const bob = await cli('POST', `/cli/sessions/${running.id}/migrate-to-acp`, {}, 'bob');
    expect([bob.status, bob.json]).to.deep.equal([403, { error: 'Session access denied' }]);
    expect((await w.request('web', 'GET', `/api/sessions/${running.id}`)).json.session.active).to.equal(true);
  });
});
