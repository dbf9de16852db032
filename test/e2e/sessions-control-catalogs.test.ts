import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { startHub, type Hub } from '../helpers/hub-harness.js';
import { World } from '../surface/world.js';

/**
 * Per-session control and catalogs through the gateway, the way the web uses them, with stand-in
 * CLI sockets (test/surface/stand-ins.ts): each setting is checked against the session's agent,
 * relayed as `set-session-config`, stored from the CLI's `applied` answer and shown by the web
 * API; catalogs relay the `list*` RPCs. Bob's token on alice's ids is refused before any RPC.
 */
describe('e2e session control and catalogs', function () {
  this.timeout(120_000);
  let hub: Hub;
  let w: World;

  before(async () => {
    hub = await startHub();
    w = await World.create({ kind: 'teamhub', url: hub.url, baseToken: hub.baseToken, output: () => hub.output('gateway0'), stop: () => hub.stop() });
  });
  after(async () => {
    await w?.close();
    await hub?.stop();
  });

  const post = (id: string, route: string, body: unknown, who: 'alice' | 'bob' = 'alice') => w.request('web', 'POST', `/api/sessions/${id}/${route}`, { who, body });
  const shown = async (id: string) => (await w.request('web', 'GET', `/api/sessions/${id}`)).json.session;
  const summary = async (id: string) => ((await w.request('web', 'GET', '/api/sessions')).json.sessions as any[]).find((s) => s.id === id);

  it('when alice switches a live Claude session\'s model, effort and permission mode, then each goes to the CLI and the applied values are what the web shows', async () => {
    const s = await w.session('claude-config');
    for (const [route, body, config] of [
      ['model', { model: 'opus' }, { model: 'opus' }],
      ['effort', { effort: 'high' }, { effort: 'high' }],
      ['permission-mode', { mode: 'acceptEdits' }, { permissionMode: 'acceptEdits' }],
    ] as const) {
      const before = s.standIn!.rpcs.length;
      const r = await post(s.id, route, body);
      expect(r.status, `${route}: ${r.text}`).to.equal(200);
      expect(r.json).to.deep.equal({ ok: true });
      expect(s.standIn!.rpcs.slice(before).map((c) => [c.method, c.params])).to.deep.equal([['set-session-config', config]]);
    }
    expect(await shown(s.id)).to.include({ model: 'opus', effort: 'high', permissionMode: 'acceptEdits' });
    expect(await summary(s.id)).to.include({ model: 'opus', effort: 'high' });
    // Back to the agent's default: null is relayed and stored as such.
    expect((await post(s.id, 'model', { model: null })).json).to.deep.equal({ ok: true });
    expect((await shown(s.id)).model).to.equal(null);
  });

  it('when the CLI applies another value than asked, then the web shows what it applied; when it refuses, then 409 with its reason and nothing changes', async () => {
    const s = await w.session('config-cli-answers', { flavor: 'codex' });
    s.standIn!.onRpc('set-session-config', () => ({ applied: { modelReasoningEffort: 'medium' } }));
    expect((await post(s.id, 'model-reasoning-effort', { modelReasoningEffort: 'xhigh' })).json).to.deep.equal({ ok: true });
    expect((await shown(s.id)).modelReasoningEffort).to.equal('medium');
    s.standIn!.onRpc('set-session-config', () => ({ error: 'model not available on this plan' }));
    const refused = await post(s.id, 'model', { model: 'gpt-huge' });
    expect([refused.status, refused.json]).to.deep.equal([409, { error: 'model not available on this plan' }]);
    s.standIn!.onRpc('set-session-config', () => ({ applied: {} }));
    const ignored = await post(s.id, 'service-tier', { serviceTier: 'fast' });
    expect([ignored.status, ignored.json]).to.deep.equal([409, { error: 'Session did not apply serviceTier' }]);
    expect(await shown(s.id)).to.include({ model: null, serviceTier: null, modelReasoningEffort: 'medium' });
  });

  it('when the session is not live, then its permission mode is stored without any RPC, and the other settings answer 409 session_inactive', async () => {
    const s = await w.session('config-offline', { live: false });
    expect((await post(s.id, 'permission-mode', { mode: 'plan' })).json).to.deep.equal({ ok: true });
    expect((await shown(s.id)).permissionMode).to.equal('plan');
    const r = await post(s.id, 'model', { model: 'opus' });
    expect([r.status, r.json]).to.deep.equal([409, { error: 'Session is inactive', code: 'session_inactive' }]);
  });

  it("when a setting does not fit the session's agent or control, then HAPI's 400 or 409 and no RPC", async () => {
    const claude = await w.session('config-claude-wrong');
    const local = await w.session('config-codex-local', { flavor: 'codex', agentState: { controlledByUser: true } });
    const dsh = await w.session('config-dsh', { flavor: 'dsh' });
    const before = [claude, local, dsh].map((s) => s.standIn!.rpcs.length);
    const cases: Array<[string, string, unknown, number, string]> = [
      [claude.id, 'permission-mode', { mode: 'yolo' }, 400, 'Invalid permission mode for session flavor'],
      [claude.id, 'permission-mode', { mode: 'nope' }, 400, 'Invalid body'],
      [claude.id, 'collaboration-mode', { mode: 'plan' }, 400, 'Collaboration mode is only supported for Codex sessions'],
      [claude.id, 'service-tier', { serviceTier: 'fast' }, 400, 'Fast mode is only supported for Codex sessions'],
      [claude.id, 'copilot-agent-mode', { mode: 'plan' }, 400, 'Copilot agent mode is only supported for Copilot sessions'],
      [claude.id, 'model-reasoning-effort', { modelReasoningEffort: 'high' }, 400, 'Model reasoning effort is only supported for Codex and OpenCode sessions'],
      [claude.id, 'effort', { effort: 5 }, 400, 'Invalid body'],
      [local.id, 'model', { model: 'x' }, 409, 'Model selection can only be changed for remote Codex sessions'],
      [local.id, 'effort', { effort: 'high' }, 400, 'Effort selection is not supported for this session type'],
      [dsh.id, 'model', { model: 'x' }, 400, 'Model selection is not supported for this session'],
      [dsh.id, 'permission-mode', { mode: 'default' }, 400, 'Permission mode not supported for session flavor'],
    ];
    for (const [id, route, body, status, error] of cases) {
      const r = await post(id, route, body);
      expect([route, r.status, r.json]).to.deep.equal([route, status, { error }]);
    }
    expect([claude, local, dsh].map((s) => s.standIn!.rpcs.length)).to.deep.equal(before);
  });

  it("when bob sends alice's session a setting, a switch or a catalog request, then 403 and alice's CLI gets nothing", async () => {
    const s = await w.session('config-foreign', { flavor: 'codex' });
    const before = s.standIn!.rpcs.length;
    const calls = [
      () => post(s.id, 'model', { model: 'x' }, 'bob'),
      () => post(s.id, 'permission-mode', { mode: 'default' }, 'bob'),
      () => post(s.id, 'collaboration-mode', { mode: 'plan' }, 'bob'),
      () => post(s.id, 'switch', {}, 'bob'),
      () => w.request('web', 'GET', `/api/sessions/${s.id}/codex-models`, { who: 'bob' }),
      () => w.request('web', 'GET', `/api/sessions/${s.id}/slash-commands`, { who: 'bob' }),
      () => w.request('web', 'GET', `/api/sessions/${s.id}/skills`, { who: 'bob' }),
    ];
    for (const call of calls) {
      const r = await call();
      expect([r.status, r.json]).to.deep.equal([403, { error: 'Session access denied' }]);
    }
    expect(s.standIn!.rpcs.length).to.equal(before);
    expect((await shown(s.id)).model).to.equal(null);
  });

  it('when a terminal-started session is switched to remote, then the CLI gets switch {to:"remote"}; a shared session refuses', async () => {
    const s = await w.session('switch-me', { agentState: { controlledByUser: true } });
    expect((await post(s.id, 'switch', {})).json).to.deep.equal({ ok: true });
    expect((await s.standIn!.waitRpc('switch')).params).to.deep.equal({ to: 'remote' });
    const shared = await w.session('switch-shared', { flavor: 'codex', metadata: { capabilities: { concurrentClients: true } } });
    const r = await post(shared.id, 'switch', {});
    expect([r.status, r.json]).to.deep.equal([409, { error: 'Shared sessions do not switch modes', code: 'control_mode_not_applicable' }]);
  });

  it('when the composer asks for slash commands, then the CLI\'s list is merged with metadata\'s; without a CLI the metadata\'s are answered', async () => {
    const s = await w.session('slash-live', { metadata: { slashCommands: ['compact', 'review'] } });
    s.standIn!.onRpc('listSlashCommands', () => ({ success: true, commands: [{ name: 'review', description: 'Review the diff', source: 'project' }, { name: 'ship', source: 'user' }] }));
    const live = await w.request('web', 'GET', `/api/sessions/${s.id}/slash-commands`);
    expect(live.json).to.deep.equal({
      success: true,
      commands: [{ name: 'compact', source: 'builtin' }, { name: 'review', description: 'Review the diff', source: 'project' }, { name: 'ship', source: 'user' }],
    });
    expect((await s.standIn!.waitRpc('listSlashCommands')).params).to.deep.equal({ agent: 'claude' });
    const offline = await w.session('slash-offline', { live: false, metadata: { slashCommands: ['compact'] } });
    expect((await w.request('web', 'GET', `/api/sessions/${offline.id}/slash-commands`)).json).to.deep.equal({ success: true, commands: [{ name: 'compact', source: 'builtin' }] });
    const bare = await w.session('slash-bare', { live: false });
    expect((await w.request('web', 'GET', `/api/sessions/${bare.id}/slash-commands`)).json).to.deep.equal({ success: false, error: `RPC handler not registered: ${bare.id}:listSlashCommands` });
  });

  it('when a model catalog is asked of the right agent, then the CLI\'s answer comes back; the wrong agent is 400, no CLI 409, a CLI failure 500', async () => {
    const codex = await w.session('catalog-codex', { flavor: 'codex' });
    const r = await w.request('web', 'GET', `/api/sessions/${codex.id}/codex-models`);
    expect(r.status).to.equal(200);
    expect(r.json.models[0]).to.include({ id: 'gpt-stand-in', isDefault: true });
    const claude = await w.session('catalog-claude');
    const wrong = await w.request('web', 'GET', `/api/sessions/${claude.id}/codex-models`);
    expect([wrong.status, wrong.json]).to.deep.equal([400, { success: false, error: 'Codex models are only available for Codex sessions' }]);
    const idle = await w.session('catalog-idle', { flavor: 'pi', live: false });
    expect((await w.request('web', 'GET', `/api/sessions/${idle.id}/pi-models`)).status).to.equal(409);
    // A CLI socket that is connected but never registered the method: HAPI's relay error, as 500.
    const grok = await w.session('catalog-grok-unregistered', { flavor: 'grok', live: false });
    const socket = await w.extraStandIn('alice', 'session', grok.id, { methods: [], heartbeatMs: 1000 });
    await w.waitActive(grok);
    const failed = await w.request('web', 'GET', `/api/sessions/${grok.id}/grok-models`);
    expect([failed.status, failed.json]).to.deep.equal([500, { success: false, error: `RPC handler not registered: ${grok.id}:listGrokModels` }]);
    socket.close();
  });

  it("when bob's socket registers alice's session methods, then it is refused and alice's calls never reach it", async () => {
    const s = await w.session('catalog-hijack', { flavor: 'codex' });
    const bobSocket = await w.extraStandIn('bob', 'session', randomUUID(), { methods: [] });
    bobSocket.registerRaw(`${s.id}:listCodexModels`);
    bobSocket.registerRaw(`${s.id}:git-status`);
    expect((await w.request('web', 'GET', `/api/sessions/${s.id}/codex-models`)).status).to.equal(200);
    expect((await w.request('web', 'GET', `/api/sessions/${s.id}/git-status`)).json.success).to.equal(true);
    expect(bobSocket.rpcs).to.deep.equal([]);
    expect(s.standIn!.rpcs.map((r) => r.method)).to.include.members(['listCodexModels', 'git-status']);
  });
});
