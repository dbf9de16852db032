import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { z } from 'zod';
import { LocalResumeTarget, Machine, ResumableSession, Session } from '../hapi-shapes.js';
import { PROJECT_DIR, runnerMetadata, type SessionFixture, type World } from '../world.js';
import type { RouteSpec } from './types.js';

/*
 * The CLI plane (hub/src/web/routes/cli.ts): `Authorization: Bearer <base>[:namespace]`, the raw
 * access token. Every answer carries `X-Hapi-Protocol-Version: 1`. Auth failures (checked for
 * every route by the test): no header → 401 `Missing Authorization header`; not `Bearer …` → 401
 * `Invalid Authorization header`; wrong base → 401 `Invalid token`. Before the sync engine is up
 * every route answers 503 `{"error":"Not ready"}`.
 */

const denied = { kind: 'denied', status: 403, body: { error: 'Session access denied' } } as const;
const sessionDeniedCoded = { kind: 'denied', status: 403, body: { error: 'Session access denied', code: 'access_denied' } } as const;

/** An active, runner-started OpenCode session whose /clear flow the CLI drives. */
function opencodeSession(w: World, key: string): Promise<SessionFixture> {
  return w.session(key, { flavor: 'opencode', metadata: { opencodeSessionId: `oc-${key}` } });
}

/** Reserves a replacement for `key` (the CLI's first /clear step); returns the replacement id. */
function reserveClear(w: World, key: string): Promise<string> {
  return w.once(`reserve:${key}`, async () => {
    const s = await opencodeSession(w, key);
    const r = await w.request('cli', 'POST', `/cli/sessions/${s.id}/clear-opencode/reserve`);
    if (r.status !== 200) throw new Error(`reserve ${r.status} ${r.text}`);
    return r.json.sessionId as string;
  });
}

/**
 * The rest of the CLI's /clear: native cleanup confirmed, then the CLI archives the source with
 * reason "Cleared by /clear" and exits with session-end reason `cleared`.
 */
function clearedSource(w: World, key: string): Promise<{ source: SessionFixture; replacementId: string }> {
  return w.once(`cleared:${key}`, async () => {
    const source = await opencodeSession(w, key);
    const replacementId = await reserveClear(w, key);
    const confirm = await w.request('cli', 'POST', `/cli/sessions/${source.id}/clear-opencode/confirm-cleanup`, { body: { replacementSessionId: replacementId } });
    if (confirm.status !== 200) throw new Error(`confirm ${confirm.status} ${confirm.text}`);
    const current = await w.request('cli', 'GET', `/cli/sessions/${source.id}`);
    const meta = { ...current.json.session.metadata, lifecycleState: 'archived', lifecycleStateSince: Date.now(), archivedBy: 'cli', archiveReason: 'Cleared by /clear' };
    const ack = await source.standIn!.ack<{ result: string }>('update-metadata', { sid: source.id, expectedVersion: current.json.session.metadataVersion, metadata: meta });
    if (ack.result !== 'success') throw new Error(`update-metadata ${JSON.stringify(ack)}`);
    source.standIn!.end('cleared');
    await w.waitActive(source, false);
    return { source, replacementId };
  });
}

const ClearResponse = z.object({ ok: z.literal(true), sessionId: z.string() });
const clearErrors = (path: string): RouteSpec['errors'] => [
  {
    status: 409,
    body: { error: 'Session is not an active runner-backed OpenCode session', code: 'clear_unavailable' },
    when: 'reserve on a session that is not an active runner-started OpenCode session',
    call: path.endsWith('/reserve') ? async (w) => ({ params: { id: (await w.session('claude')).id } }) : undefined,
  },
  { status: 404, body: { error: 'Session not found', code: 'session_not_found' }, when: 'unknown session id', call: path.endsWith('/reserve') ? async () => ({ params: { id: randomUUID() } }) : undefined },
];

export const CLI_ROUTES: RouteSpec[] = [
  {
    method: 'POST',
    path: '/cli/sessions',
    module: 'cli',
    plane: 'cli',
    summary: 'Create or load the session for a tag (the CLI at start); an embedded `machine` is registered first',
    call: async (w) => {
      const m = await w.machine();
      return { body: { tag: randomUUID(), metadata: { path: PROJECT_DIR, host: 'surface-alice-main', machineId: m.id, flavor: 'claude' }, agentState: {}, model: 'sonnet' } };
    },
    ok: {
      status: 200,
      schema: z.object({ session: Session, sessionSummaryContract: z.boolean() }),
      check: (body, _w, call) => {
        expect(body.session.namespace).to.equal('alice');
        expect(body.session.model).to.equal('sonnet');
        expect(body.session.active).to.equal(false);
        expect(body.session.metadata).to.deep.equal((call.body as { metadata: unknown }).metadata);
      },
    },
    errors: [
      { status: 400, body: { error: 'Invalid body' }, when: 'tag missing or empty, id not a UUID', call: async () => ({ body: { metadata: {} } }) },
      {
        status: 403,
        body: { error: 'Machine access denied' },
        when: 'the embedded machine id belongs to another namespace',
        call: async (w) => {
          const bobMachine = await w.machine('main', 'bob');
          return { body: { tag: randomUUID(), metadata: { path: PROJECT_DIR, host: 'h' }, machine: { id: bobMachine.id, metadata: runnerMetadata('h') } } };
        },
      },
      {
        status: 409,
        body: { error: 'Session tag is already bound to a different id' },
        when: 'the tag exists with another id',
        call: async (w) => {
          const s = await w.session('claude');
          return { body: { tag: s.tag, id: randomUUID(), metadata: { path: PROJECT_DIR, host: 'h' } } };
        },
      },
    ],
    foreign: {
      kind: 'scoped',
      note: 'bob asking for alice\'s session id (body `id`) is refused with 409 `Session id is already bound to a different session`; his sessions land in his namespace',
      bobCall: async (w) => ({ who: 'bob', body: { tag: randomUUID(), id: (await w.session('claude')).id, metadata: { path: PROJECT_DIR, host: 'h' } } }),
      check: (bob) => {
        expect(bob.status).to.equal(409);
        expect(bob.json).to.deep.equal({ error: 'Session id is already bound to a different session' });
      },
    },
    notes: ['The created session is inactive until a socket sends session-alive; SSE session-added goes to the namespace.'],
  },
  {
    method: 'GET',
    path: '/cli/sessions/resumable',
    module: 'cli',
    plane: 'cli',
    summary: 'Sessions `hapi resume` can pick: those with a path and an agent session id (optionally of one machine)',
    call: async (w) => {
      const s = await w.session('resumable', { metadata: { claudeSessionId: 'claude-native-1', name: 'resumable one' } });
      return { query: { machineId: s.machineId! } };
    },
    ok: {
      status: 200,
      schema: z.object({ sessions: z.array(ResumableSession) }),
      check: async (body, w) => {
        const s = await w.session('resumable');
        const row = body.sessions.find((r: { sessionId: string }) => r.sessionId === s.id);
        expect(row, 'the resumable session is listed').to.include({ flavor: 'claude', agentSessionId: 'claude-native-1', directory: PROJECT_DIR, name: 'resumable one' });
      },
    },
    errors: [],
    foreign: {
      kind: 'scoped',
      note: 'bob\'s list never shows alice\'s sessions, even filtered by her machine id',
      check: async (bob, w) => {
        const s = await w.session('resumable');
        expect(bob.status).to.equal(200);
        expect(bob.json.sessions.map((r: { sessionId: string }) => r.sessionId)).to.not.include(s.id);
      },
    },
    notes: ['Before 0.30.7-compatible routing a hub must match this path before `GET /cli/sessions/:id`.'],
    teamhub: 'looks at the 500 most recently updated sessions and labels at most 50 rows without name or summary with their first user message (HAPI reads every session and labels every row)',
  },
  {
    method: 'GET',
    path: '/cli/sessions/:id/resume-target',
    module: 'cli',
    plane: 'cli',
    summary: 'What `hapi resume <id>` needs to restart a session locally (flavor, directory, agent session id, config)',
    call: async (w) => ({ params: { id: (await w.session('resumable', { metadata: { claudeSessionId: 'claude-native-1', name: 'resumable one' } })).id } }),
    ok: {
      status: 200,
      schema: z.object({ target: LocalResumeTarget }),
      check: (body) => expect(body.target).to.include({ flavor: 'claude', agentSessionId: 'claude-native-1', active: true, controlledByUser: false }),
    },
    errors: [
      { status: 404, body: { error: 'Session not found', code: 'session_not_found' }, when: 'unknown id', call: async () => ({ params: { id: randomUUID() } }) },
      {
        status: 409,
        body: { error: 'Resume session ID unavailable. Start a new session in this directory, or retry after the agent has initialized.', code: 'resume_unavailable' },
        when: 'no agent session id recorded yet',
        call: async (w) => ({ params: { id: (await w.session('claude')).id } }),
      },
    ],
    foreign: sessionDeniedCoded,
  },
  {
    method: 'POST',
    path: '/cli/sessions/:id/handoff-local',
    module: 'cli',
    plane: 'cli',
    summary: 'Take a remote session over in a local terminal: the hub asks the CLI to exit and waits until it is inactive',
    call: async (w) => {
      const s = await w.session('handoff');
      // The CLI exits after acking handoff-local (session-end reason handoff).
      s.standIn!.onRpc('handoff-local', () => {
        setTimeout(() => s.standIn!.end('handoff'), 50);
        return { ok: true };
      });
      return { params: { id: s.id } };
    },
    ok: { status: 200, schema: z.object({ ok: z.literal(true) }), check: async (_b, w) => w.waitActive(await w.session('handoff'), false) },
    relay: { scope: 'session', method: 'handoff-local', target: async (w) => (await w.session('handoff')).standIn!, params: () => ({}) },
    errors: [
      {
        status: 409,
        body: { error: 'Session is already controlled by a local terminal', code: 'already_local' },
        when: 'agentState.controlledByUser is true',
        call: async (w) => ({ params: { id: (await w.session('local-controlled', { agentState: { controlledByUser: true } })).id } }),
      },
      { status: 409, body: { error: 'Shared sessions attach without handoff', code: 'control_mode_not_applicable' }, when: 'a shared (concurrentClients) session' },
      { status: 500, body: { error: 'Timed out waiting for remote session to hand off', code: 'handoff_failed' }, when: 'the CLI stays active 15 s after the RPC' },
      { status: 404, body: { error: 'Session not found', code: 'session_not_found' }, when: 'unknown id', call: async () => ({ params: { id: randomUUID() } }) },
    ],
    foreign: sessionDeniedCoded,
    notes: ['An inactive session answers `{ok:true}` at once, without RPC.'],
  },
  {
    method: 'POST',
    path: '/cli/sessions/:id/clear-opencode/reserve',
    module: 'cli',
    plane: 'cli',
    summary: 'OpenCode /clear step 1: reserve a replacement session id (created inactive) before the native cleanup',
    call: async (w) => ({ params: { id: (await opencodeSession(w, 'oc-reserve')).id } }),
    ok: {
      status: 200,
      schema: ClearResponse,
      check: async (body, w) => {
        const r = await w.request('cli', 'GET', `/cli/sessions/${body.sessionId}`);
        expect(r.status, 'the replacement session exists').to.equal(200);
        expect(r.json.session.active).to.equal(false);
      },
    },
    errors: clearErrors('/reserve'),
    foreign: sessionDeniedCoded,
    notes: ['Reserving twice returns the same replacement id.'],
  },
  {
    method: 'POST',
    path: '/cli/sessions/:id/clear-opencode/abort',
    module: 'cli',
    plane: 'cli',
    summary: 'OpenCode /clear: give the reservation up (native cleanup failed); answers the source id',
    call: async (w) => {
      const s = await opencodeSession(w, 'oc-abort');
      return { params: { id: s.id }, body: { replacementSessionId: await reserveClear(w, 'oc-abort') } };
    },
    ok: { status: 200, schema: ClearResponse, check: async (body, w) => expect(body.sessionId).to.equal((await opencodeSession(w, 'oc-abort')).id) },
    errors: [
      { status: 400, body: { error: 'Invalid clear callback request' }, when: 'replacementSessionId missing', call: async (w) => ({ params: { id: (await opencodeSession(w, 'oc-abort')).id }, body: {} }) },
      { status: 409, body: { error: 'Clear reservation not found', code: 'clear_unavailable' }, when: 'no reservation on the session', call: async (w) => ({ params: { id: (await w.session('claude')).id }, body: { replacementSessionId: randomUUID() } }) },
    ],
    foreign: { kind: 'denied', status: 403, body: { error: 'Session not found', code: 'access_denied' }, note: 'HAPI says "Session not found" with code access_denied here' },
  },
  {
    method: 'POST',
    path: '/cli/sessions/:id/clear-opencode/confirm-cleanup',
    module: 'cli',
    plane: 'cli',
    summary: 'OpenCode /clear step 2: the native session was cleaned up; answers the replacement id',
    call: async (w) => {
      const s = await opencodeSession(w, 'oc-confirm');
      return { params: { id: s.id }, body: { replacementSessionId: await reserveClear(w, 'oc-confirm') } };
    },
    ok: { status: 200, schema: ClearResponse, check: async (body, w) => expect(body.sessionId).to.equal(await reserveClear(w, 'oc-confirm')) },
    errors: [
      { status: 400, body: { error: 'Invalid clear callback request' }, when: 'replacementSessionId missing', call: async (w) => ({ params: { id: (await opencodeSession(w, 'oc-confirm')).id }, body: { other: 1 } }) },
      {
        status: 409,
        body: { error: 'Clear reservation not found', code: 'clear_unavailable' },
        when: 'the replacement id is not the reserved one',
        call: async (w) => {
          await reserveClear(w, 'oc-confirm');
          return { params: { id: (await opencodeSession(w, 'oc-confirm')).id }, body: { replacementSessionId: randomUUID() } };
        },
      },
    ],
    foreign: { kind: 'denied', status: 403, body: { error: 'Session not found', code: 'access_denied' }, note: 'HAPI says "Session not found" with code access_denied here' },
  },
  {
    method: 'POST',
    path: '/cli/sessions/:id/clear-opencode',
    module: 'cli',
    plane: 'cli',
    summary: 'OpenCode /clear step 3 (source archived "Cleared by /clear" and ended): spawn the replacement on the source machine and link it',
    call: async (w) => ({ params: { id: (await clearedSource(w, 'oc-clear')).source.id } }),
    ok: {
      status: 200,
      schema: ClearResponse,
      check: async (body, w) => {
        const { source, replacementId } = await clearedSource(w, 'oc-clear');
        expect(body.sessionId).to.equal(replacementId);
        const r = await w.request('cli', 'GET', `/cli/sessions/${source.id}`);
        expect(r.json.session.metadata.supersededBySessionId).to.equal(replacementId);
      },
    },
    relay: {
      scope: 'machine',
      method: 'spawn-happy-session',
      target: async (w) => (await w.machine()).standIn,
      params: async (w) => ({ type: 'spawn-in-directory', directory: PROJECT_DIR, agent: 'opencode', yolo: false, existingSessionId: (await clearedSource(w, 'oc-clear')).replacementId, sessionId: (await clearedSource(w, 'oc-clear')).replacementId, forkSession: false }),
    },
    errors: [
      { status: 409, body: { error: 'Session must be an archived OpenCode clear source', code: 'clear_unavailable' }, when: 'source still active or not archived by /clear', call: async (w) => ({ params: { id: (await w.session('claude')).id } }) },
      { status: 500, body: z.object({ error: z.string(), code: z.literal('spawn_failed') }), when: 'the runner could not start the replacement' },
    ],
    foreign: sessionDeniedCoded,
  },
  {
    method: 'GET',
    path: '/cli/sessions/:id',
    module: 'cli',
    plane: 'cli',
    summary: 'The full session (the CLI reloads it on reconnect)',
    call: async (w) => ({ params: { id: (await w.session('claude')).id } }),
    ok: { status: 200, schema: z.object({ session: Session, sessionSummaryContract: z.boolean() }), check: (body) => expect(body.session).to.include({ namespace: 'alice', active: true }) },
    errors: [{ status: 404, body: { error: 'Session not found' }, when: 'unknown id', call: async () => ({ params: { id: randomUUID() } }) }],
    foreign: denied,
  },
  {
    method: 'GET',
    path: '/cli/sessions/:id/messages',
    module: 'cli',
    plane: 'cli',
    summary: 'Backfill: deliverable messages after a seq (future scheduled ones are held back; steer becomes queue)',
    call: async (w) => {
      const s = await w.session('cli-backfill');
      await w.once('cli-backfill-message', () => w.postMessage(s));
      return { params: { id: s.id }, query: { afterSeq: '0', limit: '50' } };
    },
    ok: {
      status: 200,
      schema: z.object({
        messages: z.array(
          z.object({ id: z.string(), seq: z.number(), localId: z.string().nullable(), content: z.unknown(), createdAt: z.number(), invokedAt: z.number().nullable(), scheduledAt: z.number().nullable(), deliveryState: z.literal('indeterminate').optional() }),
        ),
      }),
      check: (body) => expect(body.messages.length).to.be.greaterThan(0),
    },
    notes: ['The schema is what HAPI\'s handler returns; the CLI itself parses only id, seq, createdAt, localId and content (CliMessagesResponseSchema).'],
    errors: [
      { status: 400, body: { error: 'Invalid query' }, when: 'afterSeq missing or negative, limit outside 1..200', call: async (w) => ({ params: { id: (await w.session('claude')).id }, query: { afterSeq: '-1' } }) },
      { status: 404, body: { error: 'Session not found' }, when: 'unknown id', call: async () => ({ params: { id: randomUUID() }, query: { afterSeq: '0' } }) },
    ],
    foreign: denied,
  },
  {
    method: 'POST',
    path: '/cli/sessions/:id/migrate-to-acp',
    module: 'cli',
    plane: 'cli',
    summary: 'Migrate a legacy (stream-json) Cursor session to ACP by transplanting its chat store on the hub host',
    call: async (w) => ({ params: { id: (await w.session('cursor-acp', { flavor: 'cursor', metadata: { cursorSessionId: 'cursor-chat-1', cursorSessionProtocol: 'acp' } })).id }, body: {} }),
    ok: {
      status: 409,
      schema: z.object({ ok: z.literal(false), sessionId: z.string(), reason: z.literal('already_acp'), message: z.string(), durationMs: z.number() }),
    },
    untestedSuccess: {
      status: 200,
      schema: z.object({ ok: z.literal(true), sessionId: z.string() }).passthrough(),
      why: 'needs a legacy Cursor chat store (~/.cursor/chats/<hash>/<id>/store.db) on the hub\'s own disk and the cursor agent installed',
    },
    errors: [
      { status: 400, body: { error: 'Invalid JSON body' }, when: 'body is not JSON', call: async (w) => ({ params: { id: (await w.session('claude')).id }, rawBody: '{nope', headers: { 'content-type': 'application/json' } }) },
      { status: 409, body: z.object({ ok: z.literal(false), reason: z.literal('not_cursor_session'), message: z.literal('session.metadata.flavor must be "cursor"') }), when: 'not a Cursor session', call: async (w) => ({ params: { id: (await w.session('claude')).id }, body: {} }) },
      { status: 404, body: z.object({ ok: z.literal(false), reason: z.literal('no_legacy_store_on_disk') }), when: 'no legacy chat store on the hub host' },
    ],
    foreign: denied,
    teamhub: 'the hub host is not where sessions live in teamhub; answering the refusal HAPI gives without a local store (404 no_legacy_store_on_disk, or 409 for the pre-checks) keeps clients working',
  },
  {
    method: 'POST',
    path: '/cli/machines',
    module: 'cli',
    plane: 'cli',
    summary: 'Register or reload a machine (runner start, CLI start); metadata merges, runnerState replaces',
    call: async () => ({ body: { id: `surface-alice-${randomUUID()}`, metadata: runnerMetadata('surface-alice-new'), runnerState: { status: 'offline' } } }),
    ok: { status: 200, schema: z.object({ machine: Machine }), check: (body) => expect(body.machine).to.include({ namespace: 'alice', active: false }) },
    errors: [{ status: 400, body: { error: 'Invalid body' }, when: 'id missing or empty', call: async () => ({ body: { metadata: {} } }) }],
    foreign: {
      kind: 'scoped',
      note: 'a machine id is locked to the namespace that registered it first: bob re-registering alice\'s id gets 403 `Machine access denied`',
      bobCall: async (w) => ({ who: 'bob', body: { id: (await w.machine()).id, metadata: runnerMetadata('bob-host') } }),
      check: (bob) => {
        expect(bob.status).to.equal(403);
        expect(bob.json).to.deep.equal({ error: 'Machine access denied' });
      },
    },
  },
  {
    method: 'GET',
    path: '/cli/machines/:id',
    module: 'cli',
    plane: 'cli',
    summary: 'The machine record (the runner reloads it)',
    call: async (w) => ({ params: { id: (await w.machine()).id } }),
    ok: { status: 200, schema: z.object({ machine: Machine }), check: (body) => expect(body.machine.namespace).to.equal('alice') },
    errors: [{ status: 404, body: { error: 'Machine not found' }, when: 'unknown id', call: async () => ({ params: { id: `nope-${randomUUID()}` } }) }],
    foreign: { kind: 'denied', status: 403, body: { error: 'Machine access denied' } },
  },
];
