import { expect } from 'chai';
import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import { startHub, http, waitFor, SESSION_METADATA, type Hub } from '../helpers/hub-harness.js';
import { connectCli, type CliSocket } from '../helpers/cli-socket.js';
import { StandIn } from '../surface/stand-ins.js';

type Who = 'alice' | 'bob' | 'owner' | 'carol';

/**
 * The hub-level routes, voice, the work graph and the transcript imports through the gateway, with
 * the services as processes: hub-wide figures and writes for the admin token only (the default
 * namespace is refused like any other), each namespace its own usage, work graph and imports.
 */
describe('e2e hub records: hub-level routes, voice, work graph, imports', function () {
  this.timeout(120_000);
  let hub: Hub;
  const jwt = {} as Record<Who, string>;
  const uid = {} as Record<Who, string>;
  const closers: Array<() => void> = [];
  const token = (who: Who) => (who === 'owner' ? hub.baseToken : `${hub.baseToken}:${who}`);
  const web = (who: Who, method: string, p: string, body?: unknown) => http(hub.url, method, p, { token: jwt[who], body });
  const admin = (method: string, p: string, body?: unknown) => http(hub.url, method, p, { token: hub.adminToken, body });

  /** An online machine of `who` with a runner stand-in answering every machine RPC. */
  async function runner(who: Who): Promise<{ id: string; standIn: StandIn }> {
    const id = `runner-${who}-${randomUUID()}`;
    const r = await http(hub.url, 'POST', '/cli/machines', { token: token(who), body: { id, metadata: { host: `${who}-box`, platform: 'linux', workspaceRoots: ['/srv'] }, runnerState: { status: 'offline' } } });
    expect(r.status, r.text).to.equal(200);
    const standIn = await StandIn.machine(hub.url, token(who), id);
    closers.push(() => standIn.close());
    expect((await standIn.runnerRunning(r.json.machine.runnerStateVersion)).result).to.equal('success');
    await waitFor(async () => ((await web(who, 'GET', '/api/machines')).json?.machines as Array<{ id: string }> | undefined)?.some((m) => m.id === id), { what: `${who}'s machine online` });
    return { id, standIn };
  }

  before(async function () {
    this.timeout(180_000);
    hub = await startHub({ env: { TEAMHUB_WORK_GRAPH_MAX_EVENTS: '3' } });
    for (const who of ['alice', 'bob', 'owner', 'carol'] as const) {
      const r = await http(hub.url, 'POST', '/api/auth', { body: { accessToken: token(who) } });
      expect(r.status, r.text).to.equal(200);
      jwt[who] = r.json.token;
      uid[who] = String(JSON.parse(Buffer.from(r.json.token.split('.')[1], 'base64url').toString('utf8')).uid);
    }
  });
  after(async () => {
    for (const c of closers) c();
    await hub?.stop();
  });

  describe('hub level', () => {
    it('when the admin token asks for storage, then it gets the services\' SQLite files summed; every namespace, the default one too, gets HAPI\'s 403', async () => {
      const r = await admin('GET', '/api/storage/sqlite');
      expect(r.status, r.text).to.equal(200);
      expect(r.headers.get('cache-control')).to.equal('no-store');
      expect(r.json.files.map((f: { service: string }) => f.service)).to.deep.equal(['auth', 'session', 'machine', 'notify']);
      for (const f of r.json.files) expect(path.basename(f.path)).to.equal(`${f.service}.db`);
      const sum = (k: string) => r.json.files.reduce((n: number, f: Record<string, number>) => n + f[k]!, 0);
      expect(r.json.databaseBytes).to.equal(sum('databaseBytes')).and.be.greaterThan(0);
      expect(r.json.totalBytes).to.equal(r.json.databaseBytes + r.json.walBytes + r.json.shmBytes);
      for (const who of ['owner', 'alice'] as const) {
        const refused = await web(who, 'GET', '/api/storage/sqlite');
        expect([refused.status, refused.json]).to.deep.equal([403, { error: 'Storage usage is only available to the hub owner' }]);
      }
    });

    it('when a wrong admin token or the base token is used, then 403 Admin token required; no header is 401', async () => {
      for (const t of [`admin${randomBytes(16).toString('hex')}`, hub.baseToken]) {
        const r = await http(hub.url, 'GET', '/api/storage/sqlite', { token: t });
        expect([r.status, r.json]).to.deep.equal([403, { error: 'Admin token required' }]);
      }
      expect((await http(hub.url, 'PUT', '/api/hub-settings', { body: { sessionSummaryInChat: true } })).status).to.equal(401);
    });

    it('when the admin changes the hub settings, then every namespace reads them; a namespace cannot write them; a bad body is 400', async () => {
      expect((await web('bob', 'GET', '/api/hub-settings')).json).to.deep.equal({ sessionSummaryContract: false, sessionSummaryInChat: false });
      const refused = await web('owner', 'PUT', '/api/hub-settings', { sessionSummaryContract: true });
      expect([refused.status, refused.json]).to.deep.equal([403, { error: 'Hub settings are only available to the hub owner' }]);
      expect((await admin('PUT', '/api/hub-settings', { sessionSummaryContract: true })).json).to.deep.equal({ sessionSummaryContract: true, sessionSummaryInChat: false });
      expect((await web('bob', 'GET', '/api/hub-settings')).json).to.deep.equal({ sessionSummaryContract: true, sessionSummaryInChat: false });
      for (const body of [{}, { sessionSummaryInChat: 'yes' }]) {
        const bad = await admin('PUT', '/api/hub-settings', body);
        expect([bad.status, bad.json]).to.deep.equal([400, { error: 'Invalid body' }]);
      }
    });

    it('when alice\'s agent reported tokens, then her usage summary counts them and bob\'s shows none of them', async () => {
      const created = await http(hub.url, 'POST', '/cli/sessions', { token: token('alice'), body: { tag: `usage-${randomUUID()}`, metadata: { ...SESSION_METADATA, flavor: 'claude' }, model: 'sonnet' } });
      const sid = created.json.session.id as string;
      const cli: CliSocket = await connectCli(hub.url, token('alice'), { sessionId: sid });
      closers.push(() => cli.close());
      for (const [i, usage] of [{ input_tokens: 300, output_tokens: 40 }, { input_tokens: 200, output_tokens: 10, cache_read_input_tokens: 100 }].entries()) {
        cli.socket.emit('message', { sid, localId: `u${i}`, message: { role: 'agent', content: { type: 'output', data: { type: 'assistant', message: { id: `msg_${i}`, model: 'claude-e2e', usage } } }, meta: { sentFrom: 'cli' } } });
      }
      const summary = await waitFor(async () => {
        const r = await web('alice', 'GET', '/api/usage/summary?range=7d&timeZone=UTC');
        return r.json?.totals?.requests === 2 ? r : null;
      }, { what: 'usage counted' });
      expect(summary.json.totals).to.deep.include({ inputTokens: 600, outputTokens: 50, cacheReadTokens: 100, sessions: 1 });
      expect(summary.json.byModel.map((b: { key: string }) => b.key)).to.deep.equal(['claude-e2e']);
      const bob = await web('bob', 'GET', '/api/usage/summary');
      expect(bob.status).to.equal(200);
      expect(bob.json.totals).to.deep.include({ inputTokens: 0, requests: 0, sessions: 0 });
      expect((await web('alice', 'GET', '/api/usage/summary?timeZone=Nowhere/Land')).json).to.deep.equal({ error: 'Invalid timeZone' });
    });
  });

  describe('voice (no provider: none is ever called)', () => {
    it('when a namespace asks for provider credentials, then HAPI\'s owner-only 403; the admin sees none set and cannot store a key', async () => {
      const r = await web('owner', 'GET', '/api/voice/transcription/credentials');
      expect([r.status, r.json]).to.deep.equal([403, { error: 'Provider credentials are only available to the hub owner' }]);
      const status = await admin('GET', '/api/voice/transcription/credentials');
      expect(status.json.openai).to.deep.equal({ configured: false, source: 'none', hint: null, editable: false });
      const store = await admin('PUT', '/api/voice/transcription/credentials', { openai: 'sk-e2e' });
      expect([store.status, store.json]).to.deep.equal([409, { error: 'Voice provider keys are not kept by teamhub' }]);
      expect((await admin('PUT', '/api/voice/transcription/credentials', { openai: null })).status).to.equal(200);
    });

    it('when audio is sent for transcription, then the form is checked as HAPI does and every provider is not configured', async () => {
      const send = async (form: FormData) => {
        const res = await fetch(`${hub.url}/api/voice/transcription`, { method: 'POST', body: form, headers: { authorization: `Bearer ${jwt.alice}` } });
        return [res.status, await res.json()];
      };
      const form = (fields: Record<string, string>, file = true) => {
        const f = new FormData();
        for (const [k, v] of Object.entries(fields)) f.set(k, v);
        if (file) f.set('file', new File([new Uint8Array([1, 2, 3])], 'a.webm', { type: 'audio/webm' }));
        return f;
      };
      expect(await send(form({ provider: 'deepgram' }))).to.deep.equal([400, { error: 'deepgram transcription is not configured' }]);
      expect(await send(form({ provider: 'whisper' }))).to.deep.equal([400, { error: 'Invalid transcription provider' }]);
      expect(await send(form({ provider: 'openai', language: 'english!' }))).to.deep.equal([400, { error: 'Invalid transcription language' }]);
      expect(await send(form({ provider: 'openai' }, false))).to.deep.equal([400, { error: 'Missing audio file' }]);
      const notForm = await web('alice', 'POST', '/api/voice/transcription', { provider: 'openai' });
      expect([notForm.status, notForm.json]).to.deep.equal([400, { error: 'Invalid form data' }]);
    });
  });

  describe('work graph', () => {
    const body = (who: Who, extra: Record<string, unknown> = {}) => ({ source_kind: 'e2e', source_ref: `ref-${randomBytes(3).toString('hex')}`, event_type: 'note', related_session_id: 'sess-shared-id', principal: { kind: 'human', id: uid[who] }, ...extra });

    it('when alice records and links events, then bob neither lists, reads, nor links them, and his events with the same session id are his', async () => {
      const a = await web('alice', 'POST', '/api/work-graph/events', body('alice', { payload_json: { step: 1 }, tags: ['e2e'] }));
      expect(a.status, a.text).to.equal(201);
      expect(a.json.event).to.deep.include({ namespace: 'alice', payloadJson: { step: 1 }, tags: ['e2e'], principal: { kind: 'human', id: uid.alice } });
      const b = await web('alice', 'POST', '/api/work-graph/events', body('alice', { idempotency_key: 'one' }));
      const again = await web('alice', 'POST', '/api/work-graph/events', body('alice', { idempotency_key: 'one' }));
      expect([again.status, again.json.inserted, again.json.event.id]).to.deep.equal([200, false, b.json.event.id]);
      const link = await web('alice', 'POST', '/api/work-graph/event-links', { from_event_id: a.json.event.id, to_event_id: b.json.event.id, relation_type: 'follows', metadata_json: { why: 'e2e' } });
      expect(link.status, link.text).to.equal(201);
      expect(link.json.link).to.deep.include({ namespace: 'alice', relationType: 'follows', metadataJson: { why: 'e2e' } });
      const bobsOwn = await web('bob', 'POST', '/api/work-graph/events', body('bob'));
      expect(bobsOwn.status).to.equal(201);
      const bobList = await web('bob', 'GET', '/api/work-graph/events?related_session_id=sess-shared-id');
      expect(bobList.json.events.map((e: { id: string }) => e.id)).to.deep.equal([bobsOwn.json.event.id]);
      expect((await web('bob', 'GET', `/api/work-graph/events/${a.json.event.id}`)).json).to.deep.equal({ error: 'Event not found' });
      expect((await web('bob', 'GET', `/api/work-graph/events/${a.json.event.id}/links`)).status).to.equal(404);
      const bobLink = await web('bob', 'POST', '/api/work-graph/event-links', { from_event_id: bobsOwn.json.event.id, to_event_id: a.json.event.id, relation_type: 'steal' });
      expect([bobLink.status, bobLink.json]).to.deep.equal([404, { error: 'to_event_id not found in namespace', code: 'not_found' }]);
      expect((await web('alice', 'GET', `/api/work-graph/events/${b.json.event.id}/links`)).json.links.map((l: { id: string }) => l.id)).to.deep.equal([link.json.link.id]);
    });

    it('when a principal is not the caller, a provenance is reserved, a body is too large or the namespace is full, then HAPI\'s refusals (and the limit)', async () => {
      const other = await web('alice', 'POST', '/api/work-graph/events', body('alice', { principal: { kind: 'agent', id: 'bot', on_behalf_of: uid.bob + '0' } }));
      expect([other.status, other.json]).to.deep.equal([403, { error: 'Principal must resolve to the authenticated hub owner' }]);
      expect((await web('alice', 'POST', '/api/work-graph/events', body('alice', { provenance: 'AGENT_NOTIFY_SUMMARY' }))).json).to.deep.equal({ error: 'Reserved provenance' });
      const big = await web('alice', 'POST', '/api/work-graph/events', body('alice', { summary: 'x'.repeat(70 * 1024) }));
      expect([big.status, big.json]).to.deep.equal([413, { error: 'Request body too large' }]);
      for (let i = 0; i < 3; i++) expect((await web('carol', 'POST', '/api/work-graph/events', body('carol'))).status).to.equal(201);
      const full = await web('carol', 'POST', '/api/work-graph/events', body('carol'));
      expect([full.status, full.json]).to.deep.equal([409, { error: 'The work graph of this namespace is full (limit 3 events)' }]);
      expect((await web('alice', 'GET', '/api/work-graph/events?related_session_id=x&limit=0')).json).to.deep.equal({ error: 'Invalid limit' });
    });
  });

  describe('transcript imports', () => {
    const piTranscript = (id: string, texts: string[]) => ({
      id,
      title: `Pi ${id}`,
      lastUserMessage: texts[0],
      cwd: '/srv/app',
      file: `/srv/u/.pi/sessions/${id}.jsonl`,
      modifiedAt: 1_700_000_000_000,
      model: 'pi-model',
      leafEntryId: `e${texts.length}`,
      messageCount: texts.length,
      activeEntryIds: texts.map((_, i) => `e${i + 1}`),
      messages: texts.map((text, i) => ({ localId: `pi:${id}:${i + 1}`, entryId: `e${i + 1}`, createdAt: 1_700_000_000_000 + i, content: { role: 'user', content: { type: 'text', text }, meta: { sentFrom: 'cli' } } })),
    });

    it('when alice imports a Pi session from her runner, then a session of hers holds its messages; again, nothing new; bob naming her machine gets 503 and her runner is not asked', async () => {
      const { id: machineId, standIn } = await runner('alice');
      let texts = ['first', 'second'];
      standIn.onRpc('listPiSessions', (p: { sessionIds?: string[] }) => ({ success: true, sessions: p.sessionIds ? p.sessionIds.filter((s) => s === 'pi-1').map((s) => piTranscript(s, texts)) : [{ ...piTranscript('pi-1', texts), messages: undefined, activeEntryIds: undefined }] }));
      const r = await web('alice', 'POST', '/api/pi/import-sessions', { sessionIds: ['pi-1', 'pi-missing'], machineId });
      expect(r.status, r.text).to.equal(200);
      expect(r.json.success).to.equal(false);
      const [ok, missing] = r.json.results;
      expect(ok).to.deep.include({ piSessionId: 'pi-1', action: 'created', appended: 2 });
      expect(missing).to.deep.equal({ piSessionId: 'pi-missing', error: { code: 'not_found', message: 'Pi session transcript not found' } });
      const sid = ok.hapiSessionId as string;
      const page = await web('alice', 'GET', `/api/sessions/${sid}/messages`);
      expect(page.json.messages.map((m: { content: { content: { text: string } } }) => m.content.content.text)).to.deep.equal(['first', 'second']);
      const s = (await web('alice', 'GET', `/api/sessions/${sid}`)).json.session;
      expect(s.metadata).to.deep.include({ flavor: 'pi', piSessionId: 'pi-1', machineId, name: 'Pi pi-1' });
      expect(s.metadata.piImportState).to.deep.include({ state: 'complete' });
      const listed = await web('alice', 'GET', `/api/pi/sessions?machineId=${machineId}`);
      expect(listed.json.sessions[0]).to.deep.include({ id: 'pi-1', hapiSessionId: sid, importState: 'complete' });
      texts = ['first', 'second', 'third'];
      const more = await web('alice', 'POST', '/api/pi/import-sessions', { sessionIds: ['pi-1'], machineId });
      expect(more.json.results).to.deep.equal([{ piSessionId: 'pi-1', hapiSessionId: sid, action: 'updated', appended: 1 }]);
      const same = await web('alice', 'POST', '/api/pi/import-sessions', { sessionIds: ['pi-1'], machineId });
      expect(same.json.results[0]).to.deep.include({ action: 'unchanged', appended: 0 });
      const rpcs = standIn.rpcs.length;
      const bob = await web('bob', 'POST', '/api/pi/import-sessions', { sessionIds: ['pi-1'], machineId });
      expect([bob.status, bob.json]).to.deep.equal([503, { success: false, error: 'No online machine available for Pi history import', results: [] }]);
      expect((await web('bob', 'GET', `/api/pi/sessions?machineId=${machineId}`)).status).to.equal(503);
      expect(standIn.rpcs.length, 'bob reached alice\'s runner').to.equal(rpcs);
      expect((await web('bob', 'GET', `/api/sessions/${sid}`)).status).to.equal(403);
    });

    it('when a Codex thread is imported, then only the default namespace may (HAPI), into its own session, a second import appending nothing', async () => {
      const refused = await web('alice', 'GET', '/api/codex/status');
      expect([refused.status, refused.json]).to.deep.equal([403, { success: false, error: 'Codex transcript import is not available outside the default namespace' }]);
      const { id: machineId, standIn } = await runner('owner');
      const thread = { id: 'codex-1', title: 'Codex thread', cwd: '/srv/app', file: '/srv/u/.codex/sessions/codex-1.jsonl', modifiedAt: 1, messages: [{ role: 'user', content: { type: 'text', text: 'import me' }, meta: { sentFrom: 'cli' } }] };
      standIn.onRpc('listCodexSessions', (p: { sessionIds?: string[] }) => ({ success: true, sessions: p.sessionIds ? [thread] : [{ ...thread, messages: undefined }] }));
      const first = await web('owner', 'POST', '/api/codex/sync-session', { sessionIds: ['codex-1'], machineId });
      expect(first.json, first.text).to.deep.include({ success: true, syncedCount: 1, command: 'direct-import', codexDesktopRunning: false });
      const sid = first.json.hapiSessionIds[0] as string;
      const s = (await web('owner', 'GET', `/api/sessions/${sid}`)).json.session;
      expect(s).to.deep.include({ namespace: 'default' });
      expect(s.metadata).to.deep.include({ flavor: 'codex', codexSessionId: 'codex-1', machineId, lifecycleState: 'imported' });
      const second = await web('owner', 'POST', '/api/codex/sync-session', { sessionIds: ['codex-1'], machineId });
      expect(second.json.hapiSessionIds).to.deep.equal([sid]);
      expect(second.json.output).to.include('Appended messages: 0');
      expect((await web('owner', 'GET', `/api/sessions/${sid}/messages`)).json.messages).to.have.length(1);
      expect((await web('owner', 'POST', '/api/codex/duplicate-sessions', { sessionIds: ['codex-1'] })).json).to.deep.equal({ success: true, duplicates: [] });
      const aliceMachine = await web('owner', 'GET', '/api/codex/sessions?machineId=not-mine');
      expect(aliceMachine.status).to.equal(503);
    });
  });
});
