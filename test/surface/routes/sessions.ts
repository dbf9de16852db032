import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { z } from 'zod';
import { CursorChatStoreStatus, DecryptedMessage, ScratchlistEntry, Session, SessionSummary } from '../hapi-shapes.js';
import { PROJECT_DIR, type SessionFixture, type World } from '../world.js';
import type { ErrorCase, RouteSpec } from './types.js';

/*
 * Session lifecycle and per-session control (hub/src/web/routes/sessions.ts), web JWT plane.
 * Guard for every `:id` route (guards.ts): unknown id → 404 `{"error":"Session not found"}`,
 * another namespace's id → 403 `{"error":"Session access denied"}`; routes that need a running
 * CLI answer an inactive session 409 `{"error":"Session is inactive","code":"session_inactive"}`.
 * Before the sync engine is up: 503 `{"error":"Not connected"}`.
 */

export const denied = { kind: 'denied', status: 403, body: { error: 'Session access denied' } } as const;
export const notFound = (): ErrorCase => ({ status: 404, body: { error: 'Session not found' }, when: 'unknown session id', call: async () => ({ params: { id: randomUUID() } }) });
export const inactive = (body?: unknown, params: Record<string, string> = {}): ErrorCase => ({
  status: 409,
  body: { error: 'Session is inactive', code: 'session_inactive' },
  when: 'the session has no live CLI',
  call: async (w) => ({ params: { id: (await w.session('idle', { live: false })).id, ...params }, body }),
});
const badBody = (error: string, body: unknown, key = 'claude', opts = {}): ErrorCase => ({
  status: 400,
  body: { error },
  when: `body ${JSON.stringify(body)}`,
  call: async (w) => ({ params: { id: (await w.session(key, opts)).id }, body }),
});
const wrongFlavor = (error: string, body: unknown, key = 'claude', opts = {}, status = 400): ErrorCase => ({
  status,
  body: { error },
  when: `session ${key}`,
  call: async (w) => ({ params: { id: (await w.session(key, opts)).id }, body }),
});

const OkTrue = z.object({ ok: z.literal(true) });
const codexShared = { flavor: 'codex', metadata: { capabilities: { concurrentClients: true }, hostPid: 4242, codexSessionId: 'codex-thread-1' } };
const configRelay = (key: string, params: Record<string, unknown>, opts = {}) => ({
  scope: 'session' as const,
  method: 'set-session-config',
  target: async (w: World) => (await w.session(key, opts)).standIn!,
  params: () => params,
});
/** The web API shows the new value after the CLI applied it. */
const showsConfig = (key: string, field: string, value: unknown, opts = {}) => async (_b: unknown, w: World) => {
  const s = await w.session(key, opts);
  const r = await w.request('web', 'GET', `/api/sessions/${s.id}`);
  expect(r.json.session[field]).to.deep.equal(value);
};

/** A stand-in answers clear-conversation like Codex: a new shared child thread on the same machine and process. */
async function sharedChildOnClear(w: World, source: SessionFixture): Promise<void> {
  source.standIn!.onRpc('clear-conversation', async () => {
    const r = await w.request('cli', 'POST', '/cli/sessions', {
      body: {
        tag: randomUUID(),
        metadata: { path: PROJECT_DIR, host: source.session.metadata.host, machineId: source.machineId, flavor: 'codex', hostPid: 4242, capabilities: { concurrentClients: true }, codexSessionId: 'codex-thread-cleared' },
      },
    });
    return { sessionId: r.json.session.id };
  });
}

export const SESSION_ROUTES: RouteSpec[] = [
  {
    method: 'GET',
    path: '/api/sessions',
    module: 'sessions',
    plane: 'web',
    summary: 'The namespace\'s sessions as summaries (globalPinned, pinned, active, pending requests, updatedAt order; `order=updatedAt`, `limit` 1..500)',
    call: async (w) => {
      await w.session('claude');
      return { query: { limit: '100' } };
    },
    ok: {
      status: 200,
      schema: z.object({ sessions: z.array(SessionSummary) }),
      check: async (body, w) => expect(body.sessions.map((s: { id: string }) => s.id)).to.include((await w.session('claude')).id),
    },
    errors: [],
    teamhub: 'the page is cut in the store query, so without `limit` teamhub answers the first 500 in HAPI\'s order (HAPI answers every session)',
    foreign: {
      kind: 'scoped',
      note: 'bob\'s list holds none of alice\'s sessions',
      check: async (bob, w) => {
        const alice = await w.request('web', 'GET', '/api/sessions', { query: { limit: '500' } });
        const aliceIds: string[] = alice.json.sessions.map((s: { id: string }) => s.id);
        expect(bob.status).to.equal(200);
        expect(bob.json.sessions.map((s: { id: string }) => s.id).filter((id: string) => aliceIds.includes(id))).to.deep.equal([]);
      },
    },
  },
  {
    method: 'GET',
    path: '/api/sessions/:id/export',
    module: 'sessions',
    plane: 'web',
    summary: 'The session, its visible messages and scratchlist as one JSON document (schemaVersion 2); over 20 000 messages a warning unless `force=true`, over 100 MiB 413',
    call: async (w) => ({ params: { id: (await w.session('claude')).id } }),
    ok: {
      status: 200,
      schema: z.object({ schemaVersion: z.literal(2), exportedAt: z.number().int().nonnegative(), session: Session, messages: z.array(DecryptedMessage), scratchlist: z.array(ScratchlistEntry) }),
    },
    teamhub: 'streamed page by page in seq order (HAPI sorts by invoked-or-created time, then seq); the size estimate counts every stored message',
    errors: [
      notFound(),
      { status: 200, body: z.object({ type: z.literal('warning'), count: z.number(), limit: z.literal(20000), estimatedBytes: z.number() }), when: 'more than 20 000 messages without force=true' },
      { status: 413, body: z.object({ type: z.literal('too-large'), error: z.literal('Session export exceeds the resource limit'), code: z.literal('session_export_too_large'), count: z.number(), estimatedBytes: z.number(), maxBytes: z.literal(104857600) }), when: 'estimated size over 100 MiB' },
    ],
    foreign: denied,
  },
  {
    method: 'GET',
    path: '/api/sessions/:id',
    module: 'sessions',
    plane: 'web',
    summary: 'The full session',
    call: async (w) => ({ params: { id: (await w.session('claude')).id } }),
    ok: { status: 200, schema: z.object({ session: Session }), check: (body) => expect(body.session).to.include({ namespace: 'alice', active: true }) },
    errors: [notFound()],
    foreign: denied,
  },
  {
    method: 'GET',
    path: '/api/sessions/:id/cursor-chat-store',
    module: 'sessions',
    plane: 'web',
    summary: 'Whether a Cursor session\'s chat data is still on its machine (asked before offering resume)',
    call: async (w) => ({ params: { id: (await w.session('cursor', { flavor: 'cursor', metadata: { cursorSessionId: 'cursor-chat-1', homeDir: '/srv/surface/home' } })).id } }),
    ok: { status: 200, schema: CursorChatStoreStatus },
    relay: {
      scope: 'machine',
      method: 'cursor-chat-store-status',
      target: async (w) => (await w.machine()).standIn,
      params: () => ({ workspacePath: PROJECT_DIR, cursorSessionId: 'cursor-chat-1', homeDir: '/srv/surface/home' }),
    },
    errors: [
      {
        status: 409,
        body: { error: 'Cursor resume metadata is unavailable', code: 'resume_unavailable' },
        when: 'not a Cursor session, or no path / cursorSessionId',
        call: async (w) => ({ params: { id: (await w.session('claude')).id } }),
      },
      notFound(),
      { status: 503, body: { error: 'No machine online', code: 'no_machine_online' }, when: 'the session\'s recorded machine is offline (matched by machineId only)' },
      { status: 502, body: z.object({ error: z.string(), code: z.literal('probe_failed') }), when: 'the RPC failed or its answer did not parse' },
    ],
    foreign: denied,
  },
  {
    method: 'POST',
    path: '/api/sessions/:id/resume',
    module: 'sessions',
    plane: 'web',
    summary: 'Bring an inactive session back: spawn on its machine (matched by machineId, then host) with the agent session id, wait until active (15 s)',
    call: async (w) => ({ params: { id: (await w.session('resume-me', { live: false, metadata: { claudeSessionId: 'claude-native-resume' } })).id }, body: {} }),
    ok: {
      status: 200,
      schema: z.object({ type: z.literal('success'), sessionId: z.string() }),
      check: async (body, w) => expect(body.sessionId).to.equal((await w.session('resume-me', { live: false })).id),
    },
    relay: {
      scope: 'machine',
      method: 'spawn-happy-session',
      target: async (w) => (await w.machine()).standIn,
      params: async (w) => {
        const id = (await w.session('resume-me', { live: false })).id;
        return { type: 'spawn-in-directory', directory: PROJECT_DIR, agent: 'claude', resumeSessionId: 'claude-native-resume', existingSessionId: id, sessionId: id, forkSession: false };
      },
    },
    errors: [
      badBody('Invalid body', { permissionMode: 'bogus' }),
      badBody('Invalid permission mode for session flavor', { permissionMode: 'yolo' }),
      notFound(),
      {
        status: 503,
        body: { error: 'No machine online', code: 'no_machine_online' },
        when: 'no online machine of the namespace matches the session',
        call: async (w) => ({ params: { id: (await w.session('orphan', { live: false, machine: 'none', metadata: { claudeSessionId: 'claude-orphan' } })).id } }),
      },
      { status: 500, body: { error: 'Session failed to become active', code: 'resume_failed' }, when: 'the spawned session sends no session-alive within 15 s' },
    ],
    foreign: { kind: 'denied', status: 403, body: { error: 'Session access denied' } },
    notes: ['An already active session answers `{type:"success", sessionId}` without RPC.'],
  },
  {
    method: 'POST',
    path: '/api/sessions/:id/reopen',
    module: 'sessions',
    plane: 'web',
    summary: 'Reopen an archived session: clear the archive marks, then resume (restored if the resume fails)',
    call: async (w) => ({ params: { id: (await w.session('reopen-me', { live: false, metadata: { claudeSessionId: 'claude-native-reopen', lifecycleState: 'archived', archivedBy: 'cli', archiveReason: 'User terminated' } })).id } }),
    ok: {
      status: 200,
      schema: z.object({ ok: z.literal(true), sessionId: z.string(), resumed: z.boolean(), cursorSessionProtocol: z.enum(['acp', 'stream-json']).optional() }),
      check: async (body, w) => {
        expect(body.resumed).to.equal(true);
        const r = await w.request('web', 'GET', `/api/sessions/${body.sessionId}`);
        expect(r.json.session.metadata.lifecycleState).to.not.equal('archived');
      },
    },
    relay: { scope: 'machine', method: 'spawn-happy-session', target: async (w) => (await w.machine()).standIn },
    errors: [
      notFound(),
      { status: 422, body: { error: 'Cursor session id is missing from metadata; reopen requires the original cursor chat id', missing: ['cursorSessionId'] }, when: 'an archived Cursor session with messages but no cursorSessionId' },
      { status: 409, body: z.object({ error: z.string(), code: z.literal('metadata_conflict') }), when: 'the archive marks could not be cleared' },
    ],
    foreign: denied,
    notes: ['An active session answers `{ok:true, sessionId, resumed:false}` without RPC.'],
  },
  {
    method: 'POST',
    path: '/api/sessions/:id/upload',
    module: 'sessions',
    plane: 'web',
    summary: 'Upload a file (base64 JSON, 50 MB) to the session\'s machine for use as an attachment; stored by the CLI, not the hub',
    call: async (w) => ({ params: { id: (await w.session('claude')).id }, body: { filename: 'notes.txt', content: Buffer.from('hello\n').toString('base64'), mimeType: 'text/plain' } }),
    ok: { status: 200, schema: z.object({ success: z.literal(true), path: z.string() }) },
    relay: {
      scope: 'session',
      method: 'uploadFile',
      target: async (w) => (await w.session('claude')).standIn!,
      params: async (w) => ({ sessionId: (await w.session('claude')).id, filename: 'notes.txt', content: Buffer.from('hello\n').toString('base64'), mimeType: 'text/plain' }),
    },
    errors: [
      badBody('Invalid body', { filename: 'x' }),
      inactive({ filename: 'a.txt', content: 'aGk=', mimeType: 'text/plain' }),
      { status: 413, body: { success: false, error: 'File too large (max 50MB)' }, when: 'estimated decoded size over 50 MiB' },
      { status: 500, body: z.object({ success: z.literal(false), error: z.string() }), when: 'the RPC failed (no CLI registered: "RPC handler not registered: <id>:uploadFile")' },
    ],
    foreign: denied,
  },
  {
    method: 'POST',
    path: '/api/sessions/:id/upload/delete',
    module: 'sessions',
    plane: 'web',
    summary: 'Delete an uploaded file on the session\'s machine',
    call: async (w) => ({ params: { id: (await w.session('claude')).id }, body: { path: '/tmp/hapi-blobs/stand-in/notes.txt' } }),
    ok: { status: 200, schema: z.object({ success: z.literal(true) }) },
    relay: {
      scope: 'session',
      method: 'deleteUpload',
      target: async (w) => (await w.session('claude')).standIn!,
      params: async (w) => ({ sessionId: (await w.session('claude')).id, path: '/tmp/hapi-blobs/stand-in/notes.txt' }),
    },
    errors: [badBody('Invalid body', { path: '' }), inactive({ path: '/tmp/x' })],
    foreign: denied,
  },
  {
    method: 'POST',
    path: '/api/sessions/:id/abort',
    module: 'sessions',
    plane: 'web',
    summary: 'Interrupt the agent\'s current turn',
    call: async (w) => ({ params: { id: (await w.session('claude')).id } }),
    ok: { status: 200, schema: OkTrue },
    relay: { scope: 'session', method: 'abort', target: async (w) => (await w.session('claude')).standIn! },
    errors: [inactive(), notFound()],
    foreign: denied,
    notes: ['HAPI sends `{reason:"User aborted via Telegram Bot"}` (its Telegram text, also for the web); the CLI ignores the reason.'],
  },
  {
    method: 'POST',
    path: '/api/sessions/:id/fork',
    module: 'sessions',
    plane: 'web',
    summary: 'Fork the conversation (now, or at an invoked message): the CLI forks natively, the hub creates and spawns the child session',
    call: async (w) => ({ params: { id: (await w.session('fork-src', { metadata: { capabilities: { conversationHistory: { forkCurrent: true } } } })).id } }),
    ok: {
      status: 200,
      schema: z.object({ sessionId: z.string() }),
      check: async (body, w) => {
        const src = await w.session('fork-src', {});
        const child = await w.request('web', 'GET', `/api/sessions/${body.sessionId}`);
        expect(child.json.session.metadata).to.include({ forkedFrom: src.id, claudeSessionId: 'native-fork-stand-in' });
        const spawn = await (await w.machine()).standIn.waitRpc('spawn-happy-session', (r) => (r.params as { existingSessionId?: string }).existingSessionId === body.sessionId);
        expect(spawn.params).to.include({ resumeSessionId: 'native-fork-stand-in', sessionType: 'simple', agent: 'claude' });
      },
    },
    relay: { scope: 'session', method: 'fork-conversation', target: async (w) => (await w.session('fork-src', {})).standIn!, params: () => ({}) },
    errors: [
      { status: 400, body: { error: 'Invalid JSON body' }, when: 'body is not JSON', call: async (w) => ({ params: { id: (await w.session('claude')).id }, rawBody: '{oops', headers: { 'content-type': 'application/json' } }) },
      { status: 409, body: { error: 'Fork current is not supported for this session' }, when: 'capabilities.conversationHistory.forkCurrent is not true', call: async (w) => ({ params: { id: (await w.session('claude')).id } }) },
      { status: 409, body: { error: 'Historical fork is not supported for this session' }, when: 'messageLocalId given without forkAtMessage', call: async (w) => ({ params: { id: (await w.session('claude')).id }, body: { messageLocalId: 'x' } }) },
      { status: 409, body: { error: 'Session is busy' }, when: 'the agent is thinking' },
      { status: 409, body: { error: 'Session has queued messages' }, when: 'messages wait in the queue' },
      inactive(),
    ],
    foreign: denied,
  },
  {
    method: 'POST',
    path: '/api/sessions/:id/rewind',
    module: 'sessions',
    plane: 'web',
    summary: 'Rewind the conversation to before an invoked message; the hub drops the later messages and sends messages-invalidated',
    call: async (w) => {
      const s = await w.session('rewind-src', { metadata: { capabilities: { conversationHistory: { rewindToMessage: true } } } });
      const m = await w.once('rewind-message', () => w.invokedMessage(s));
      return { params: { id: s.id }, body: { messageLocalId: m.localId } };
    },
    ok: {
      status: 200,
      schema: z.object({ success: z.literal(true) }),
      check: async (_b, w, call) => {
        const page = await w.request('web', 'GET', `/api/sessions/${call.params!.id}/messages`);
        expect(page.json.messages.map((m: { localId: string | null }) => m.localId)).to.not.include((call.body as { messageLocalId: string }).messageLocalId);
      },
    },
    relay: {
      scope: 'session',
      method: 'rewind-conversation',
      target: async (w) => (await w.session('rewind-src', {})).standIn!,
      params: (_w, call) => ({ messageLocalId: (call.body as { messageLocalId: string }).messageLocalId }),
    },
    errors: [
      badBody('Invalid body', {}),
      { status: 409, body: { error: 'Rewind is not supported for this session', hydrateFailed: false }, when: 'capabilities.conversationHistory.rewindToMessage is not true', call: async (w) => ({ params: { id: (await w.session('claude')).id }, body: { messageLocalId: 'x' } }) },
      { status: 500, body: { error: 'Rewind outcome is unknown; session history requires reconciliation', hydrateFailed: true }, when: 'the RPC threw or timed out (the history is marked diverged)' },
    ],
    foreign: denied,
    notes: ['Error bodies always carry `hydrateFailed`; `code` appears only when the CLI answered `{success:false, code}`.'],
  },
  {
    method: 'POST',
    path: '/api/sessions/:id/archive',
    module: 'sessions',
    plane: 'web',
    summary: 'Stop the CLI (killSession) and end the session; without a CLI it is marked archived by the hub',
    call: async (w) => ({ params: { id: (await w.session('archive')).id } }),
    ok: { status: 200, schema: OkTrue, check: async (_b, w) => w.waitActive(await w.session('archive'), false) },
    relay: { scope: 'session', method: 'killSession', target: async (w) => (await w.session('archive')).standIn!, params: () => ({}) },
    errors: [
      {
        status: 409,
        body: { error: 'Session is inactive' },
        when: 'inactive and its lifecycleState is neither running nor archived (no code in this body)',
        call: async (w) => ({ params: { id: (await w.session('stopped', { live: false, metadata: { lifecycleState: 'stopped' } })).id } }),
      },
      {
        status: 200,
        body: { ok: true, alreadyArchived: true },
        when: 'inactive and already archived',
        call: async (w) => ({ params: { id: (await w.session('archived', { live: false, metadata: { lifecycleState: 'archived' } })).id } }),
      },
      notFound(),
    ],
    foreign: denied,
  },
  {
    method: 'POST',
    path: '/api/sessions/:id/migrate-to-acp',
    module: 'sessions',
    plane: 'web',
    summary: 'The web\'s button for the Cursor legacy → ACP migration (same as the CLI route)',
    call: async (w) => ({ params: { id: (await w.session('cursor-acp', { flavor: 'cursor', metadata: { cursorSessionId: 'cursor-chat-1', cursorSessionProtocol: 'acp' } })).id }, body: {} }),
    ok: { status: 409, schema: z.object({ ok: z.literal(false), sessionId: z.string(), reason: z.literal('already_acp'), message: z.string(), durationMs: z.number() }) },
    untestedSuccess: { status: 200, schema: z.object({ ok: z.literal(true), sessionId: z.string() }).passthrough(), why: 'needs a legacy Cursor chat store on the hub\'s own disk' },
    errors: [
      { status: 400, body: z.object({ error: z.literal('Invalid body'), issues: z.array(z.unknown()) }), when: 'a field of the wrong type', call: async (w) => ({ params: { id: (await w.session('claude')).id }, body: { keepSource: 'yes' } }) },
      { status: 409, body: z.object({ ok: z.literal(false), reason: z.literal('running_refused') }), when: 'a running legacy Cursor session without forceArchiveRunning', call: async (w) => ({ params: { id: (await w.session('cursor-legacy', { flavor: 'cursor', metadata: { cursorSessionId: 'cursor-chat-2', cursorSessionProtocol: 'stream-json' } })).id }, body: {} }) },
    ],
    foreign: denied,
  },
  {
    method: 'POST',
    path: '/api/sessions/:id/codex/plan/implement',
    module: 'sessions',
    plane: 'web',
    summary: 'Tell a shared Codex session to implement a proposed plan',
    call: async (w) => ({ params: { id: (await w.session('codex-shared', codexShared)).id }, body: { planId: 'plan-1' } }),
    ok: { status: 200, schema: z.object({ ok: z.literal(true) }) },
    relay: { scope: 'session', method: 'implement-codex-plan', target: async (w) => (await w.session('codex-shared', codexShared)).standIn!, params: () => ({ planId: 'plan-1' }) },
    errors: [
      { status: 409, body: { ok: false, code: 'unavailable', error: 'An active shared Codex session is required' }, when: 'not a shared Codex session', call: async (w) => ({ params: { id: (await w.session('claude')).id }, body: { planId: 'p' } }) },
      { status: 400, body: { error: 'Invalid body' }, when: 'planId missing', call: async (w) => ({ params: { id: (await w.session('codex-shared', codexShared)).id }, body: {} }) },
      { status: 503, body: { ok: false, code: 'indeterminate', error: 'Plan implementation could not be confirmed. Reconnect and check the mode, queue and conversation before retrying.' }, when: 'the RPC failed' },
      inactive({ planId: 'p' }),
    ],
    foreign: denied,
  },
  {
    method: 'POST',
    path: '/api/sessions/:id/clear',
    module: 'sessions',
    plane: 'web',
    summary: 'Start a fresh conversation in a shared session (resumed first when inactive); answers the new child session',
    call: async (w) => {
      const s = await w.session('codex-clear', codexShared);
      await sharedChildOnClear(w, s);
      return { params: { id: s.id } };
    },
    ok: {
      status: 200,
      schema: z.object({ sessionId: z.string() }),
      check: async (body, w) => expect(body.sessionId).to.not.equal((await w.session('codex-clear', codexShared)).id),
    },
    relay: { scope: 'session', method: 'clear-conversation', target: async (w) => (await w.session('codex-clear', codexShared)).standIn!, params: () => ({}) },
    errors: [
      { status: 409, body: { error: 'Shared session required' }, when: 'not a shared (concurrentClients) session', call: async (w) => ({ params: { id: (await w.session('claude')).id } }) },
      { status: 500, body: 'Internal Server Error (text/plain)', when: 'the child the CLI names is not a valid shared child (HAPI throws; Hono answers its default 500)' },
      notFound(),
    ],
    foreign: denied,
  },
  {
    method: 'POST',
    path: '/api/sessions/:id/switch',
    module: 'sessions',
    plane: 'web',
    summary: 'Hand a locally controlled session back to remote (web) control',
    call: async (w) => ({ params: { id: (await w.session('claude')).id } }),
    ok: { status: 200, schema: OkTrue },
    relay: { scope: 'session', method: 'switch', target: async (w) => (await w.session('claude')).standIn!, params: () => ({ to: 'remote' }) },
    errors: [
      { status: 409, body: { error: 'Shared sessions do not switch modes', code: 'control_mode_not_applicable' }, when: 'a shared session', call: async (w) => ({ params: { id: (await w.session('codex-shared', codexShared)).id } }) },
      inactive(),
    ],
    foreign: denied,
  },
  {
    method: 'POST',
    path: '/api/sessions/:id/permission-mode',
    module: 'sessions',
    plane: 'web',
    summary: 'Change the permission mode (checked against the flavor\'s modes); applied by the CLI when active, stored when not',
    call: async (w) => ({ params: { id: (await w.session('config-claude')).id }, body: { mode: 'acceptEdits' } }),
    ok: { status: 200, schema: OkTrue, check: showsConfig('config-claude', 'permissionMode', 'acceptEdits') },
    relay: configRelay('config-claude', { permissionMode: 'acceptEdits' }),
    errors: [
      badBody('Invalid body', { mode: 'bogus' }),
      badBody('Invalid permission mode for session flavor', { mode: 'yolo' }),
      wrongFlavor('Permission mode not supported for session flavor', { mode: 'default' }, 'pi', { flavor: 'pi' }),
      {
        status: 409,
        body: { error: 'Session did not apply permissionMode' },
        when: 'the CLI\'s applied answer lacks the key',
        call: async (w) => {
          const s = await w.session('config-refuses');
          s.standIn!.onRpc('set-session-config', () => ({ applied: {} }));
          return { params: { id: s.id }, body: { mode: 'plan' } };
        },
      },
    ],
    foreign: denied,
  },
  {
    method: 'POST',
    path: '/api/sessions/:id/collaboration-mode',
    module: 'sessions',
    plane: 'web',
    summary: 'Codex collaboration mode (default / plan)',
    call: async (w) => ({ params: { id: (await w.session('codex', { flavor: 'codex' })).id }, body: { mode: 'plan' } }),
    ok: { status: 200, schema: OkTrue, check: showsConfig('codex', 'collaborationMode', 'plan', { flavor: 'codex' }) },
    relay: configRelay('codex', { collaborationMode: 'plan' }, { flavor: 'codex' }),
    errors: [
      wrongFlavor('Collaboration mode is only supported for Codex sessions', { mode: 'plan' }),
      wrongFlavor('Collaboration mode can only be changed for remote Codex sessions', { mode: 'plan' }, 'codex-local', { flavor: 'codex', agentState: { controlledByUser: true } }, 409),
      badBody('Invalid body', { mode: 'x' }, 'codex', { flavor: 'codex' }),
      inactive({ mode: 'plan' }),
    ],
    foreign: denied,
  },
  {
    method: 'POST',
    path: '/api/sessions/:id/copilot-agent-mode',
    module: 'sessions',
    plane: 'web',
    summary: 'Copilot agent mode (interactive / plan / autopilot; `fleet` means interactive)',
    call: async (w) => ({ params: { id: (await w.session('copilot', { flavor: 'copilot' })).id }, body: { mode: 'autopilot' } }),
    ok: { status: 200, schema: OkTrue, check: showsConfig('copilot', 'copilotAgentMode', 'autopilot', { flavor: 'copilot' }) },
    relay: configRelay('copilot', { copilotAgentMode: 'autopilot' }, { flavor: 'copilot' }),
    errors: [wrongFlavor('Copilot agent mode is only supported for Copilot sessions', { mode: 'plan' }), badBody('Invalid body', { mode: 'x' }, 'copilot', { flavor: 'copilot' })],
    foreign: denied,
  },
  {
    method: 'POST',
    path: '/api/sessions/:id/model',
    module: 'sessions',
    plane: 'web',
    summary: 'Switch the model (a name, `{provider, modelId}` for Pi, or null for the default)',
    call: async (w) => ({ params: { id: (await w.session('config-claude')).id }, body: { model: 'opus' } }),
    ok: { status: 200, schema: OkTrue, check: showsConfig('config-claude', 'model', 'opus') },
    relay: configRelay('config-claude', { model: 'opus' }),
    errors: [
      badBody('Invalid body', { model: '' }),
      wrongFlavor('Model selection is not supported for this session', { model: 'x' }, 'dsh', { flavor: 'dsh' }),
      wrongFlavor('Model selection can only be changed for remote Codex sessions', { model: 'x' }, 'codex-local', { flavor: 'codex', agentState: { controlledByUser: true } }, 409),
      inactive({ model: 'opus' }),
    ],
    foreign: denied,
  },
  {
    method: 'POST',
    path: '/api/sessions/:id/model-reasoning-effort',
    module: 'sessions',
    plane: 'web',
    summary: 'Codex / OpenCode reasoning effort (a name or null)',
    call: async (w) => ({ params: { id: (await w.session('codex', { flavor: 'codex' })).id }, body: { modelReasoningEffort: 'high' } }),
    ok: { status: 200, schema: OkTrue, check: showsConfig('codex', 'modelReasoningEffort', 'high', { flavor: 'codex' }) },
    relay: configRelay('codex', { modelReasoningEffort: 'high' }, { flavor: 'codex' }),
    errors: [
      wrongFlavor('Model reasoning effort is only supported for Codex and OpenCode sessions', { modelReasoningEffort: 'high' }),
      wrongFlavor('Model reasoning effort can only be changed for remote sessions', { modelReasoningEffort: 'high' }, 'codex-local', { flavor: 'codex', agentState: { controlledByUser: true } }, 409),
    ],
    foreign: denied,
  },
  {
    method: 'POST',
    path: '/api/sessions/:id/effort',
    module: 'sessions',
    plane: 'web',
    summary: 'Claude / Grok / Pi effort (a name or null)',
    call: async (w) => ({ params: { id: (await w.session('config-claude')).id }, body: { effort: 'high' } }),
    ok: { status: 200, schema: OkTrue, check: showsConfig('config-claude', 'effort', 'high') },
    relay: configRelay('config-claude', { effort: 'high' }),
    errors: [wrongFlavor('Effort selection is not supported for this session type', { effort: 'high' }, 'codex', { flavor: 'codex' }), badBody('Invalid body', { effort: 5 })],
    foreign: denied,
  },
  {
    method: 'POST',
    path: '/api/sessions/:id/service-tier',
    module: 'sessions',
    plane: 'web',
    summary: 'Codex fast mode (`fast` / `standard`)',
    call: async (w) => ({ params: { id: (await w.session('codex', { flavor: 'codex' })).id }, body: { serviceTier: 'fast' } }),
    ok: { status: 200, schema: OkTrue, check: showsConfig('codex', 'serviceTier', 'fast', { flavor: 'codex' }) },
    relay: configRelay('codex', { serviceTier: 'fast' }, { flavor: 'codex' }),
    errors: [wrongFlavor('Fast mode is only supported for Codex sessions', { serviceTier: 'fast' }), badBody('Invalid body', { serviceTier: 'turbo' }, 'codex', { flavor: 'codex' })],
    foreign: denied,
  },
  {
    method: 'PATCH',
    path: '/api/sessions/:id',
    module: 'sessions',
    plane: 'web',
    summary: 'Rename (metadata.name, 1..255 chars)',
    call: async (w) => ({ params: { id: (await w.session('claude')).id }, body: { name: 'Renamed by the surface test' } }),
    ok: {
      status: 200,
      schema: OkTrue,
      check: async (_b, w) => {
        const r = await w.request('web', 'GET', `/api/sessions/${(await w.session('claude')).id}`);
        expect(r.json.session.metadata.name).to.equal('Renamed by the surface test');
      },
    },
    errors: [badBody('Invalid body: name is required', { name: '' }), notFound()],
    foreign: denied,
  },
  {
    method: 'POST',
    path: '/api/sessions/:id/title-suggestion',
    module: 'sessions',
    plane: 'web',
    summary: 'Ask the configured title provider for a session title',
    call: async (w) => ({ params: { id: (await w.session('claude')).id } }),
    ok: { status: 503, schema: z.object({ error: z.literal('Title suggestions are not configured on this Hub') }) },
    untestedSuccess: { status: 200, schema: z.object({ title: z.string().min(1).max(255) }), why: 'needs a title provider configured on the hub' },
    configuredOff: 'no title provider: 503 `{"error":"Title suggestions are not configured on this Hub"}` (and /health says titleSuggestion:false)',
    errors: [
      { status: 422, body: { error: 'No conversation content is available for a title suggestion' }, when: 'configured, but the session has no conversation' },
      { status: 429, body: { error: 'Too many title suggestions for this session; try again later' }, when: 'configured, rate limited' },
      { status: 502, body: { error: 'The title suggestion provider failed' }, when: 'configured, provider failed' },
    ],
    foreign: denied,
  },
  {
    method: 'PATCH',
    path: '/api/sessions/:id/summary',
    module: 'sessions',
    plane: 'web',
    summary: 'Set the one-line summary (metadata.summary {text, updatedAt})',
    call: async (w) => ({ params: { id: (await w.session('claude')).id }, body: { text: 'Writing the surface test' } }),
    ok: {
      status: 200,
      schema: OkTrue,
      check: async (_b, w) => {
        const r = await w.request('web', 'GET', `/api/sessions/${(await w.session('claude')).id}`);
        expect(r.json.session.metadata.summary.text).to.equal('Writing the surface test');
      },
    },
    errors: [badBody('Invalid body: text is required', { text: '   ' })],
    foreign: denied,
  },
  {
    method: 'PUT',
    path: '/api/sessions/:id/pin',
    module: 'sessions',
    plane: 'web',
    summary: 'Pin in the project list, globally, or unpin',
    call: async (w) => ({ params: { id: (await w.session('claude')).id }, body: { mode: 'global' } }),
    ok: {
      status: 200,
      schema: OkTrue,
      check: async (_b, w) => {
        const id = (await w.session('claude')).id;
        const r = await w.request('web', 'GET', '/api/sessions');
        expect(r.json.sessions[0], 'a globally pinned session sorts first').to.include({ id, globalPinned: true });
      },
    },
    errors: [badBody('Invalid body: mode must be none, project, or global', { mode: 'top' })],
    foreign: denied,
  },
  {
    method: 'DELETE',
    path: '/api/sessions/:id',
    module: 'sessions',
    plane: 'web',
    summary: 'Delete an inactive session and its messages and scratchlist; SSE session-removed',
    call: async (w) => ({ params: { id: (await w.session('to-delete', { live: false })).id } }),
    ok: {
      status: 200,
      schema: OkTrue,
      check: async (_b, w, call) => expect((await w.request('web', 'GET', `/api/sessions/${call.params!.id}`)).status).to.equal(404),
    },
    errors: [{ status: 409, body: { error: 'Cannot delete active session. Archive it first.' }, when: 'the session is active', call: async (w) => ({ params: { id: (await w.session('claude')).id } }) }, notFound()],
    foreign: denied,
  },
];
