import { expect } from 'chai';
import { z } from 'zod';
import type { World } from '../world.js';
import type { ErrorCase, RouteSpec } from './types.js';

/*
 * Importing local Codex threads and Pi sessions into HAPI sessions (hub/src/web/routes/codexDesktop.ts,
 * piSessions.ts). The transcripts live on a machine; the hub asks an online runner of the namespace
 * (listCodexSessions / listPiSessions) and writes the messages into new or matching sessions.
 * `/api/codex/*` is refused outside the default namespace with 403
 * `{success:false, error:"Codex transcript import is not available outside the default namespace"}`;
 * `/api/pi/*` works in every namespace. Codex Desktop itself (status, restart) is a Windows/macOS
 * app: on this Linux hub HAPI reports it absent. Script logs go to HAPI_CODEX_WORKSPACE/logs.
 */

const CODEX_NS_ERROR = { success: false, error: 'Codex transcript import is not available outside the default namespace' };
const codexOwnerOnly = { kind: 'owner-only', status: 403, body: CODEX_NS_ERROR } as const;
const desktop = { codexDesktopRunning: z.literal(false), codexClientAvailable: z.literal(false) };
const NO_MACHINE_CODEX = 'No online machine available for Codex history import';

/** The owner's runner; a listCodexSessions for chosen ids answers the transcript with messages, as the real one does. */
async function ownerRunner(w: World) {
  const m = await w.machine('main', 'owner');
  m.standIn.onRpc('listCodexSessions', (p: { sessionIds?: string[] }) =>
    p.sessionIds?.length
      ? {
          success: true,
          sessions: p.sessionIds.map((id) => ({
            id,
            title: 'Stand-in Codex thread',
            cwd: '/srv/surface/project',
            file: `/srv/codex/sessions/${id}.jsonl`,
            modifiedAt: 1_700_000_000_000,
            messages: [{ role: 'user', content: { type: 'text', text: 'import me' }, meta: { sentFrom: 'cli' } }],
          })),
        }
      : undefined,
  );
  return m;
}

/** The owner's Codex thread imported once (so duplicate checks have something to find). */
function imported(w: World): Promise<unknown> {
  return w.once('codex-imported', async () => {
    const m = await ownerRunner(w);
    const r = await w.request('web', 'POST', '/api/codex/sync-session', { who: 'owner', body: { sessionIds: ['codex-local-1'], machineId: m.id } });
    if (r.json?.success !== true) throw new Error(`codex sync ${r.status} ${r.text}`);
    return r.json;
  });
}

const noMachine = (path: string, body: unknown): ErrorCase => ({
  status: path.endsWith('archive-session') || path.endsWith('sessions') ? 503 : 200,
  body: z.object({ success: z.literal(false), error: z.string() }).passthrough(),
  when: 'the requested machine is not an online machine of the namespace',
  call: async () => ({ who: 'owner', body, query: path.endsWith('sessions') ? { machineId: 'not-online' } : undefined }),
});

export const IMPORT_ROUTES: RouteSpec[] = [
  {
    method: 'GET',
    path: '/api/codex/status',
    module: 'codexDesktop',
    plane: 'web',
    summary: 'Whether the Codex Desktop app runs / is installed on the hub host',
    call: async () => ({ who: 'owner' }),
    ok: { status: 200, schema: z.object({ success: z.literal(true), ...desktop }) },
    configuredOff: 'no Codex Desktop on the hub host: `{success:true, codexDesktopRunning:false, codexClientAvailable:false}`',
    errors: [],
    foreign: codexOwnerOnly,
  },
  {
    method: 'GET',
    path: '/api/codex/sessions',
    module: 'codexDesktop',
    plane: 'web',
    summary: 'Local Codex threads on a machine (`machineId`, `cwd`), without their messages',
    call: async (w) => ({ who: 'owner', query: { machineId: (await ownerRunner(w)).id } }),
    ok: {
      status: 200,
      schema: z.object({ success: z.literal(true), sessions: z.array(z.object({ id: z.string(), title: z.string(), file: z.string(), modifiedAt: z.number() }).passthrough()), machineId: z.string() }),
      check: (body) => expect(body.sessions[0]).to.not.have.property('messages'),
    },
    relay: { scope: 'machine', method: 'listCodexSessions', target: async (w) => (await ownerRunner(w)).standIn, params: () => ({ cwd: null }) },
    errors: [{ status: 503, body: { success: false, error: NO_MACHINE_CODEX, sessions: [] }, when: 'no online machine in the namespace', call: async () => ({ who: 'owner', query: { machineId: 'not-online' } }) }],
    foreign: codexOwnerOnly,
  },
  {
    method: 'POST',
    path: '/api/codex/archive-session',
    module: 'codexDesktop',
    plane: 'web',
    summary: 'Move a local Codex thread file to the archive on its machine',
    call: async (w) => ({ who: 'owner', body: { sessionId: 'codex-local-1', machineId: (await ownerRunner(w)).id } }),
    ok: {
      status: 200,
      schema: z.object({ success: z.literal(true), archivedPath: z.string(), machineId: z.string() }),
    },
    relay: { scope: 'machine', method: 'archiveCodexSession', target: async (w) => (await ownerRunner(w)).standIn, params: () => ({ sessionId: 'codex-local-1' }) },
    errors: [
      { status: 400, body: { success: false, error: 'sessionId is required' }, when: 'sessionId missing', call: async () => ({ who: 'owner', body: {} }) },
      { status: 503, body: { success: false, error: 'No online machine available for Codex history archive' }, when: 'no online machine', call: async () => ({ who: 'owner', body: { sessionId: 'x', machineId: 'not-online' } }) },
    ],
    foreign: codexOwnerOnly,
  },
  {
    method: 'POST',
    path: '/api/codex/sync-session',
    module: 'codexDesktop',
    plane: 'web',
    summary: 'Import chosen Codex threads (transcripts fetched from the machine) into HAPI sessions; optional model, effort, service tier, collaboration mode, yolo',
    call: async (w) => ({ who: 'owner', body: { sessionIds: ['codex-local-2'], machineId: (await ownerRunner(w)).id } }),
    ok: {
      status: 200,
      schema: z.object({
        success: z.literal(true),
        message: z.string(),
        pid: z.literal(0),
        command: z.literal('direct-import'),
        cwd: z.string(),
        output: z.string().optional(),
        sessionIds: z.array(z.string()),
        hapiSessionIds: z.array(z.string()),
        syncedCount: z.number(),
        ...desktop,
      }),
      check: async (body, w) => {
        expect(body.hapiSessionIds).to.have.length(1);
        const r = await w.request('web', 'GET', `/api/sessions/${body.hapiSessionIds[0]}`, { who: 'owner' });
        expect(r.json.session.namespace, 'imported into the caller\'s namespace').to.equal('default');
      },
    },
    relay: { scope: 'machine', method: 'listCodexSessions', target: async (w) => (await ownerRunner(w)).standIn, params: () => ({ cwd: null, sessionIds: ['codex-local-2'] }) },
    errors: [
      { status: 200, body: z.object({ success: z.literal(false), error: z.literal('Invalid sessionIds'), cwd: z.string(), ...desktop }), when: 'sessionIds not an array of strings', call: async () => ({ who: 'owner', body: { sessionIds: 'x' } }) },
      noMachine('/sync-session', { sessionIds: ['x'], machineId: 'not-online' }),
    ],
    foreign: codexOwnerOnly,
    notes: ['Failures are 200 with success:false (the Chinese error strings are HAPI\'s own).'],
  },
  {
    method: 'POST',
    path: '/api/codex/duplicate-sessions',
    module: 'codexDesktop',
    plane: 'web',
    summary: 'Groups of HAPI sessions that imported the same Codex thread',
    call: async (w) => {
      await imported(w);
      return { who: 'owner', body: { sessionIds: ['codex-local-1'] } };
    },
    ok: { status: 200, schema: z.object({ success: z.literal(true), duplicates: z.array(z.object({ codexSessionId: z.string(), hapiSessionIds: z.array(z.string()) })) }) },
    errors: [{ status: 200, body: { success: false, error: '未选择需要导入的 Codex 会话' }, when: 'no session id chosen', call: async () => ({ who: 'owner', body: { sessionIds: [] } }) }],
    foreign: codexOwnerOnly,
  },
  {
    method: 'POST',
    path: '/api/codex/merge-duplicate-sessions',
    module: 'codexDesktop',
    plane: 'web',
    summary: 'Merge the duplicate HAPI sessions of chosen Codex threads into one',
    call: async (w) => {
      await imported(w);
      return { who: 'owner', body: { sessionIds: ['codex-local-1'] } };
    },
    ok: { status: 200, schema: z.object({ success: z.literal(true), merged: z.array(z.unknown()), mergedCount: z.number() }) },
    errors: [{ status: 200, body: { success: false, error: '未选择需要导入的 Codex 会话' }, when: 'no session id chosen', call: async () => ({ who: 'owner', body: {} }) }],
    foreign: codexOwnerOnly,
  },
  {
    method: 'POST',
    path: '/api/codex/restart-desktop',
    module: 'codexDesktop',
    plane: 'web',
    summary: 'Run the Codex Desktop restart script (PowerShell) on the hub host',
    call: async () => ({ who: 'owner' }),
    ok: {
      status: 200,
      schema: z.object({ success: z.literal(false), error: z.literal('尝试重启codex客户端失败，未安装/找不到codex客户端'), script: z.string(), cwd: z.string(), ...desktop }),
    },
    untestedSuccess: { status: 200, schema: z.object({ success: z.literal(true), message: z.literal('Codex Desktop restart script started'), pid: z.number() }).passthrough(), why: 'needs Codex Desktop and PowerShell on the hub host' },
    configuredOff: 'no Codex Desktop on the hub host: 200 `{success:false, error:"尝试重启codex客户端失败，未安装/找不到codex客户端", script, cwd, codexDesktopRunning:false, codexClientAvailable:false}`',
    errors: [],
    foreign: codexOwnerOnly,
  },
  {
    method: 'GET',
    path: '/api/pi/sessions',
    module: 'piSessions',
    plane: 'web',
    summary: 'Local Pi sessions on a machine of the namespace, with hapiSessionId/importState of those already imported',
    call: async (w) => ({ query: { machineId: (await w.machine()).id } }),
    ok: { status: 200, schema: z.object({ success: z.literal(true), sessions: z.array(z.object({ id: z.string(), title: z.string(), file: z.string(), modifiedAt: z.number(), messageCount: z.number() }).passthrough()), machineId: z.string() }) },
    relay: { scope: 'machine', method: 'listPiSessions', target: async (w) => (await w.machine()).standIn, params: () => ({ cwd: null }) },
    errors: [{ status: 503, body: { success: false, error: 'No online machine available for Pi history import', sessions: [] }, when: 'the machine is not online in the namespace', call: async () => ({ query: { machineId: 'not-online' } }) }],
    foreign: {
      kind: 'scoped',
      note: 'bob naming alice\'s machine finds no online machine of his: 503, and alice\'s runner gets no RPC',
      bobCall: async (w) => ({ who: 'bob', query: { machineId: (await w.machine()).id } }),
      check: (bob) => {
        expect(bob.status).to.equal(503);
        expect(bob.json).to.deep.equal({ success: false, error: 'No online machine available for Pi history import', sessions: [] });
      },
    },
  },
  {
    method: 'POST',
    path: '/api/pi/import-sessions',
    module: 'piSessions',
    plane: 'web',
    summary: 'Import chosen Pi sessions (transcripts from the machine) into HAPI sessions; answers one result per id',
    call: async (w) => ({ body: { sessionIds: ['pi-missing'], machineId: (await w.machine()).id } }),
    ok: {
      status: 200,
      schema: z.object({ success: z.boolean(), results: z.array(z.object({ piSessionId: z.string() }).passthrough()), machineId: z.string() }),
      check: (body) => expect(body).to.deep.include({ success: false, results: [{ piSessionId: 'pi-missing', error: { code: 'not_found', message: 'Pi session transcript not found' } }] }),
    },
    relay: { scope: 'machine', method: 'listPiSessions', target: async (w) => (await w.machine()).standIn, params: () => ({ cwd: null, sessionIds: ['pi-missing'] }) },
    errors: [
      { status: 400, body: { success: false, error: 'No Pi sessions selected', results: [] }, when: 'no session id', call: async () => ({ body: { sessionIds: [] } }) },
      { status: 503, body: { success: false, error: 'No online machine available for Pi history import', results: [] }, when: 'the machine is not online in the namespace', call: async () => ({ body: { sessionIds: ['x'], machineId: 'not-online' } }) },
    ],
    foreign: {
      kind: 'scoped',
      note: 'bob naming alice\'s machine: 503, nothing imported',
      bobCall: async (w) => ({ who: 'bob', body: { sessionIds: ['pi-local-1'], machineId: (await w.machine()).id } }),
      check: (bob) => expect(bob.status).to.equal(503),
    },
    notes: ['The test imports an id the runner does not have (per-id result not_found); a full import needs a Pi transcript with entries.'],
  },
];
