import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { z } from 'zod';
import { rpcMethod } from '../hapi-rpc-methods.js';
import { AgentAvailabilityResponse, Machine } from '../hapi-shapes.js';
import { PROJECT_DIR, WORKSPACE_ROOT, type World } from '../world.js';
import type { ErrorCase, RouteSpec } from './types.js';

/*
 * Machines (hub/src/web/routes/machines.ts), web plane, relayed to the runner holding the machine.
 * Guard (guards.ts requireMachine): unknown id → 404 `{"error":"Machine not found"}`, another
 * namespace's → 403 `{"error":"Machine access denied"}`; the guard does not require the machine
 * to be online, so a registered machine without a runner reaches the RPC and fails there:
 * model routes answer 500 `{success:false, error}` or, for codex/pi/opencode variants, 503
 * `{success:false, error:"RPC handler not registered: <id>:<method>", code:"rpc_target_missing"}`.
 */

const machineDenied = { kind: 'denied', status: 403, body: { error: 'Machine access denied' } } as const;
const machineNotFound = (body?: unknown): ErrorCase => ({ status: 404, body: { error: 'Machine not found' }, when: 'unknown machine id', call: async () => ({ params: { id: `nope-${randomUUID()}` }, body }) });
const runner = async (w: World) => (await w.machine()).standIn;
/** An online runner too old for HAPI's checks: no capabilities, no supervised restart. */
const oldRunner = (w: World) => w.machine('old', 'alice', { host: 'surface-alice-old', platform: 'linux', happyCliVersion: '0.20.0' });
const targetMissing = (method: string): ErrorCase => ({
  status: 503,
  body: z.object({ success: z.literal(false), error: z.string().regex(new RegExp(`^RPC handler not registered: .+:${method}$`)), code: z.literal('rpc_target_missing') }),
  when: 'the machine has no runner connected',
  call: async (w) => ({ params: { id: (await w.registeredMachine('offline')).id } }),
});
const rpcFailed = (method: string, query?: Record<string, string>): ErrorCase => ({
  status: 500,
  body: z.object({ success: z.literal(false), error: z.string().regex(new RegExp(`${method}$`)) }),
  when: 'the machine has no runner connected',
  call: async (w) => ({ params: { id: (await w.registeredMachine('offline')).id }, query }),
});
const cwdRequired: ErrorCase = {
  status: 400,
  body: { success: false, error: 'cwd query parameter is required' },
  when: 'cwd missing or blank',
  call: async (w) => ({ params: { id: (await w.machine()).id }, query: { cwd: ' ' } }),
};

function modelList(opts: { path: string; method: string; query?: Record<string, string>; params: unknown; summary: string; errors: ErrorCase[] }): RouteSpec {
  return {
    method: 'GET',
    path: opts.path,
    module: 'machines',
    plane: 'web',
    summary: opts.summary,
    call: async (w) => ({ params: { id: (await w.machine()).id }, query: opts.query }),
    ok: { status: 200, schema: rpcMethod('machine', opts.method).ackSchema },
    relay: { scope: 'machine', method: opts.method, target: runner, params: () => opts.params },
    errors: [...opts.errors, machineNotFound()],
    foreign: machineDenied,
  };
}

export const MACHINE_ROUTES: RouteSpec[] = [
  {
    method: 'GET',
    path: '/api/machines',
    module: 'machines',
    plane: 'web',
    summary: 'The namespace\'s online machines (a runner socket sent machine-alive within 45 s)',
    call: async (w) => {
      await w.machine();
      await w.registeredMachine('offline');
      return {};
    },
    ok: {
      status: 200,
      schema: z.object({ machines: z.array(Machine) }),
      check: async (body, w) => {
        const ids = body.machines.map((m: { id: string }) => m.id);
        expect(ids).to.include((await w.machine()).id);
        expect(ids, 'offline machines are not listed').to.not.include((await w.registeredMachine('offline')).id);
      },
    },
    errors: [],
    foreign: {
      kind: 'scoped',
      note: 'bob\'s list holds none of alice\'s machines',
      check: async (bob, w) => {
        expect(bob.status).to.equal(200);
        expect(bob.json.machines.map((m: { id: string }) => m.id)).to.not.include((await w.machine()).id);
      },
    },
  },
  {
    method: 'PATCH',
    path: '/api/machines/:id',
    module: 'machines',
    plane: 'web',
    summary: 'Rename a machine (metadata.displayName, trimmed, at most 64 characters; kept across runner re-registration)',
    call: async (w) => ({ params: { id: (await w.machine()).id }, body: { displayName: ' Build box ' } }),
    ok: {
      status: 200,
      schema: z.object({ ok: z.literal(true) }),
      check: async (_b, w) => {
        const r = await w.request('cli', 'GET', `/cli/machines/${(await w.machine()).id}`);
        expect(r.json.machine.metadata.displayName).to.equal('Build box');
      },
    },
    errors: [
      { status: 400, body: { error: 'Invalid body: displayName is required' }, when: 'displayName missing', call: async (w) => ({ params: { id: (await w.machine()).id }, body: {} }) },
      { status: 400, body: { error: 'displayName must be at most 64 characters' }, when: 'longer than 64 after trimming', call: async (w) => ({ params: { id: (await w.machine()).id }, body: { displayName: 'x'.repeat(65) } }) },
      machineNotFound({ displayName: 'x' }),
    ],
    foreign: machineDenied,
  },
  {
    method: 'POST',
    path: '/api/machines/:id/spawn',
    module: 'machines',
    plane: 'web',
    summary: 'Start a new session on the machine (directory inside its workspace roots, agent, model, modes, worktree, starting mode)',
    call: async (w) => ({ params: { id: (await w.machine()).id }, body: { directory: PROJECT_DIR, agent: 'codex', model: 'gpt-stand-in', permissionMode: 'safe-yolo', sessionType: 'simple' } }),
    ok: {
      status: 200,
      schema: z.union([z.object({ type: z.literal('success'), sessionId: z.string() }), z.object({ type: z.literal('error'), message: z.string(), code: z.string().optional(), agent: z.string().optional() })]),
      check: (body) => expect(body).to.deep.equal({ type: 'success', sessionId: 'stand-in-spawned-session' }),
    },
    relay: {
      scope: 'machine',
      method: 'spawn-happy-session',
      target: runner,
      params: () => ({ type: 'spawn-in-directory', directory: PROJECT_DIR, agent: 'codex', model: 'gpt-stand-in', sessionType: 'simple', permissionMode: 'safe-yolo', forkSession: false }),
    },
    errors: [
      { status: 400, body: { error: 'Invalid body' }, when: 'directory missing, an unknown agent or mode', call: async (w) => ({ params: { id: (await w.machine()).id }, body: { agent: 'claude' } }) },
      { status: 400, body: { error: 'AGY only supports remote mode' }, when: 'agy or dsh with startingMode pty', call: async (w) => ({ params: { id: (await w.machine()).id }, body: { directory: PROJECT_DIR, agent: 'agy', startingMode: 'pty' } }) },
      {
        status: 200,
        body: { type: 'error', message: 'This runner must be upgraded before creating sessions', code: 'runner_upgrade_required' },
        when: 'the runner does not advertise the agent-availability capability',
        call: async (w) => ({ params: { id: (await oldRunner(w)).id }, body: { directory: PROJECT_DIR } }),
      },
      {
        status: 200,
        body: { type: 'error', message: 'codex is not installed or is not on PATH', code: 'agent_unavailable', agent: 'codex' },
        when: 'the runner answers agent_unavailable',
        call: async (w) => {
          const m = await w.machine('no-codex');
          m.standIn.onRpc('spawn-happy-session', () => ({ type: 'error', errorMessage: 'codex is not installed or is not on PATH', code: 'agent_unavailable', agent: 'codex' }));
          return { params: { id: m.id }, body: { directory: PROJECT_DIR, agent: 'codex' } };
        },
      },
      {
        status: 200,
        body: z.object({ type: z.literal('error'), message: z.string().regex(/^RPC handler not registered: /) }),
        when: 'no runner connected (the RPC error becomes the message)',
        call: async (w) => ({ params: { id: (await w.registeredMachine('offline')).id }, body: { directory: PROJECT_DIR } }),
      },
      machineNotFound({ directory: PROJECT_DIR }),
    ],
    foreign: machineDenied,
    notes: ['Always 200 once the machine is accessible: the outcome is `type`.'],
    teamhub:
      'a machine whose runner stopped heart-beating (offline) answers at once with HAPI\'s missing-handler message and `code: "rpc_target_missing"`, without asking a socket that may no longer answer (HAPI asks and waits for its 30 s timeout)',
  },
  {
    method: 'GET',
    path: '/api/machines/:id/agent-availability',
    module: 'machines',
    plane: 'web',
    summary: 'Which agents the runner can start (the web\'s new-session form waits for this)',
    call: async (w) => ({ params: { id: (await w.machine()).id } }),
    ok: { status: 200, schema: AgentAvailabilityResponse },
    relay: { scope: 'machine', method: 'agent-availability', target: runner, params: () => ({}) },
    errors: [
      {
        status: 409,
        body: { error: 'This runner must be upgraded before creating sessions', code: 'runner_upgrade_required' },
        when: 'the runner does not advertise the capability',
        call: async (w) => ({ params: { id: (await oldRunner(w)).id } }),
      },
      { status: 500, body: z.object({ error: z.string() }), when: 'the RPC failed or the answer did not parse' },
      machineNotFound(),
    ],
    foreign: machineDenied,
  },
  {
    method: 'POST',
    path: '/api/machines/:id/list-directory',
    module: 'machines',
    plane: 'web',
    summary: 'Browse a directory on the machine for the new-session form (`includeHidden`)',
    call: async (w) => ({ params: { id: (await w.machine()).id }, body: { path: WORKSPACE_ROOT, includeHidden: true } }),
    ok: { status: 200, schema: rpcMethod('machine', 'list-directory').ackSchema },
    relay: { scope: 'machine', method: 'list-directory', target: runner, params: () => ({ path: WORKSPACE_ROOT, includeHidden: true }) },
    errors: [
      { status: 400, body: { error: 'Invalid body' }, when: 'path missing or empty', call: async (w) => ({ params: { id: (await w.machine()).id }, body: { path: '' } }) },
      { status: 500, body: z.object({ error: z.string().regex(/^RPC handler not registered: /) }), when: 'no runner connected', call: async (w) => ({ params: { id: (await w.registeredMachine('offline')).id }, body: { path: '/srv' } }) },
    ],
    foreign: machineDenied,
  },
  {
    method: 'POST',
    path: '/api/machines/:id/paths/exists',
    module: 'machines',
    plane: 'web',
    summary: 'Which of these directories exist on the machine (recent-directory chips); paths outside the workspace roots are reported',
    call: async (w) => ({ params: { id: (await w.machine()).id }, body: { paths: [PROJECT_DIR, ` ${PROJECT_DIR} `] } }),
    ok: {
      status: 200,
      schema: z.object({ exists: z.record(z.string(), z.boolean()), outsideWorkspaceRoots: z.array(z.string()).optional() }),
      check: (body) => expect(body).to.deep.equal({ exists: { [PROJECT_DIR]: true } }),
    },
    relay: { scope: 'machine', method: 'path-exists', target: runner, params: () => ({ paths: [PROJECT_DIR] }) },
    errors: [
      { status: 200, body: { exists: {} }, when: 'only blank paths (no RPC)', call: async (w) => ({ params: { id: (await w.machine()).id }, body: { paths: [] } }) },
      { status: 400, body: { error: 'Invalid body' }, when: 'paths not an array of non-empty strings, or over 1000', call: async (w) => ({ params: { id: (await w.machine()).id }, body: { paths: [''] } }) },
    ],
    foreign: machineDenied,
    notes: ['Paths are trimmed and deduplicated before the RPC.'],
  },
  modelList({ path: '/api/machines/:id/agy-models', method: 'listAgyModels', query: { refresh: 'true' }, params: { refresh: true }, summary: 'Antigravity models the runner knows (`refresh=true` re-probes)', errors: [rpcFailed('listAgyModels')] }),
  modelList({ path: '/api/machines/:id/pi-models', method: 'listPiModelsForMachine', params: {}, summary: 'Pi models available on the machine', errors: [targetMissing('listPiModelsForMachine')] }),
  modelList({ path: '/api/machines/:id/codex-models', method: 'listCodexModels', params: {}, summary: 'Codex models for the new-session form', errors: [targetMissing('listCodexModels')] }),
  modelList({ path: '/api/machines/:id/opencode-models', method: 'listOpencodeModelsForCwd', query: { cwd: PROJECT_DIR }, params: { cwd: PROJECT_DIR }, summary: 'OpenCode models for a directory', errors: [cwdRequired, rpcFailed('listOpencodeModelsForCwd', { cwd: '/srv' })] }),
  modelList({ path: '/api/machines/:id/opencode-model-variants', method: 'listOpencodeModelVariants', query: { cwd: PROJECT_DIR }, params: { cwd: PROJECT_DIR }, summary: 'OpenCode model variants (`cwd` optional, sent as null)', errors: [targetMissing('listOpencodeModelVariants')] }),
  modelList({ path: '/api/machines/:id/grok-models', method: 'listGrokModelsForCwd', query: { cwd: PROJECT_DIR }, params: { cwd: PROJECT_DIR }, summary: 'Grok models for a directory', errors: [cwdRequired] }),
  modelList({ path: '/api/machines/:id/copilot-models', method: 'listCopilotModelsForCwd', query: { cwd: PROJECT_DIR }, params: { cwd: PROJECT_DIR }, summary: 'Copilot models for a directory', errors: [cwdRequired] }),
  modelList({ path: '/api/machines/:id/cursor-models', method: 'listCursorModels', params: {}, summary: 'Cursor models on the machine', errors: [rpcFailed('listCursorModels')] }),
  {
    method: 'POST',
    path: '/api/machines/:id/restart-runner',
    module: 'machines',
    plane: 'web',
    summary: 'Stop a supervised runner so its supervisor starts it again',
    call: async (w) => ({ params: { id: (await w.machine()).id } }),
    ok: { status: 200, schema: z.object({ message: z.literal('Runner stop requested; supervisor will relaunch') }) },
    relay: { scope: 'machine', method: 'stop-runner', target: runner, params: () => ({}) },
    errors: [
      { status: 503, body: { error: 'Machine is offline', code: 'machine_offline' }, when: 'no runner online', call: async (w) => ({ params: { id: (await w.registeredMachine('offline')).id } }) },
      {
        status: 502,
        body: { error: 'Restart requires a supervised runner (HAPI_RUNNER_SUPERVISED=1); unsupervised stop would leave the host offline', code: 'restart_unsupported' },
        when: 'metadata.supervisedRestart is not true',
        call: async (w) => ({ params: { id: (await oldRunner(w)).id } }),
      },
      machineNotFound(),
    ],
    foreign: machineDenied,
  },
];
