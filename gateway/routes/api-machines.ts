import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AppError, isAppError } from '../../lib/errors.js';
import type { Namespace } from '../../lib/namespace.js';
import { toHapiMachine } from '../../lib/hapi/machine-view.js';
import type { Machine } from '../../lib/gen/teamhub/machine/v1/machine.js';
import type { GatewayDeps } from '../deps.js';
import type { LiveHandle } from '../live/index.js';
import { requireWebPrincipal } from '../http/web-auth.js';
import { parseOr400 } from '../http/validate.js';
import { registerSessionResumeRoutes } from './api-session-resume.js';

const AGENTS = ['agy', 'claude', 'codex', 'dsh', 'copilot', 'cursor', 'gemini', 'grok', 'kimi', 'opencode', 'pi'] as const;
const PERMISSION_MODES = [
  'default', 'acceptEdits', 'auto', 'bypassPermissions', 'plan', 'ask', 'debug', 'autoReview',
  'read-only', 'safe-yolo', 'yolo', 'request-review', 'always-proceed',
] as const;
/** HAPI's MACHINE_DISPLAY_NAME_MAX_LENGTH. */
const DISPLAY_NAME_MAX = 64;

/** HAPI 0.30.7 `SpawnSessionRequestSchema` (web bundle of the reference binary). */
export const SpawnBody = z.object({
  directory: z.string().min(1),
  agent: z.enum(AGENTS).optional(),
  model: z.string().optional(),
  effort: z.string().optional(),
  modelReasoningEffort: z.string().optional(),
  yolo: z.boolean().optional(),
  permissionMode: z.enum(PERMISSION_MODES).optional(),
  sessionType: z.enum(['simple', 'worktree']).optional(),
  worktreeName: z.string().optional(),
  serviceTier: z.enum(['fast', 'standard']).optional(),
  collaborationMode: z.enum(['default', 'plan']).optional(),
  copilotAgentMode: z.union([z.enum(['interactive', 'plan', 'autopilot']), z.literal('fleet').transform(() => 'interactive' as const)]).optional(),
  startingMode: z.enum(['remote', 'pty']).optional(),
});
export type SpawnOptions = z.output<typeof SpawnBody> & { resumeSessionId?: string; existingSessionId?: string };

const ListDirectoryBody = z.object({ path: z.string().min(1), includeHidden: z.boolean().optional() });
const PathsExistsBody = z.object({ paths: z.array(z.string().min(1)).max(1000) });
const RenameBody = z.object({ displayName: z.string() });

export type SpawnAnswer = Record<string, unknown> & { type: string };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The runner's spawn ack → the web answer (always HTTP 200): success keeps only the session id;
 * the runner's error keeps its extra fields (code, agent, …) with `errorMessage` renamed
 * `message`, as the reference hub answers (transcript I).
 */
export function normalizeSpawnAck(ack: unknown): SpawnAnswer {
  if (isObject(ack)) {
    if (ack.type === 'success' && typeof ack.sessionId === 'string') return { type: 'success', sessionId: ack.sessionId };
    if (ack.type === 'error' && typeof ack.errorMessage === 'string') {
      const { type: _t, errorMessage, message: _m, ...rest } = ack;
      return { type: 'error', message: errorMessage, ...rest };
    }
    if (ack.type === 'requestToApproveDirectoryCreation' && typeof ack.directory === 'string') {
      return { type: 'requestToApproveDirectoryCreation', directory: ack.directory };
    }
    if (typeof ack.error === 'string') return { type: 'error', message: ack.error };
    if (ack.type !== 'success' && typeof ack.message === 'string') return { type: 'error', message: ack.message };
  }
  let details: string;
  try {
    details = typeof ack === 'string' ? ack : JSON.stringify(ack);
  } catch {
    details = String(ack);
  }
  return { type: 'error', message: `Unexpected spawn result: ${details}` };
}

export function isRpcTargetMissing(err: unknown): err is AppError {
  return isAppError(err, 'unavailable') && err.details.code === 'rpc_target_missing';
}

/** The spawn RPC params, in HAPI's order; absent options are left out. */
export function spawnParams(o: SpawnOptions): Record<string, unknown> {
  const params: Record<string, unknown> = {
    type: 'spawn-in-directory',
    directory: o.directory,
    agent: o.agent ?? 'claude',
    model: o.model,
    modelReasoningEffort: o.modelReasoningEffort,
    yolo: o.yolo,
    sessionType: o.sessionType,
    worktreeName: o.worktreeName,
    resumeSessionId: o.resumeSessionId,
    effort: o.effort,
    permissionMode: o.permissionMode,
    serviceTier: o.serviceTier,
    existingSessionId: o.existingSessionId,
    sessionId: o.existingSessionId,
    collaborationMode: o.collaborationMode,
    copilotAgentMode: o.copilotAgentMode,
    startingMode: o.startingMode,
    forkSession: false,
  };
  for (const k of Object.keys(params)) if (params[k] === undefined) delete params[k];
  return params;
}

const offline = (message = 'Machine is offline'): SpawnAnswer => ({ type: 'error', message, code: 'rpc_target_missing' });

/**
 * Asks the machine's runner (on whichever replica holds its socket) to spawn a session. Never
 * throws for runner trouble: an offline machine or a missing socket answers at once with
 * `rpc_target_missing`, a timeout or failure as `{type:'error', message}`.
 */
export async function spawnOnMachine(deps: GatewayDeps, live: LiveHandle, ns: Namespace, machineId: string, opts: SpawnOptions): Promise<SpawnAnswer> {
  const online = await live.isMachineOnline(ns, machineId).catch(() => true);
  if (!online) return offline();
  try {
    const ack = await live.rpcCall(ns, machineId, 'spawn-happy-session', spawnParams(opts), deps.cfg.rpcTimeoutMs);
    return normalizeSpawnAck(ack);
  } catch (err) {
    if (isRpcTargetMissing(err)) return offline();
    if (isAppError(err, 'deadline_exceeded')) return { type: 'error', message: err.message };
    deps.log.warn({ err, machineId }, 'spawn failed');
    return { type: 'error', message: isAppError(err) && err.code !== 'internal' ? err.message : 'Failed to spawn session' };
  }
}

/** HAPI `requireMachine`: 403 Machine access denied / 404 Machine not found, from the service. */
async function requireMachine(deps: GatewayDeps, ns: Namespace, id: string, requestId: string): Promise<Machine> {
  const res = await deps.clients.machine.call('getMachine', { namespace: ns, id }, { namespace: ns, requestId });
  if (!res.machine) throw new AppError('not_found', 'Machine not found');
  return res.machine;
}

/** The machines of `ns` that are online now (store says active and a heartbeat is within the window). */
export async function onlineMachines(deps: GatewayDeps, live: LiveHandle, ns: Namespace, requestId?: string): Promise<Machine[]> {
  const res = await deps.clients.machine.call('listMachines', { namespace: ns, activeOnly: true }, { namespace: ns, requestId });
  const online = await Promise.all(res.machines.map((m) => live.isMachineOnline(ns, m.id).catch(() => false)));
  return res.machines.filter((_, i) => online[i]);
}

/** Relays a machine RPC for a web route: a missing runner → 503 rpc_target_missing. */
async function machineRpc(deps: GatewayDeps, live: LiveHandle, ns: Namespace, id: string, method: string, params: unknown): Promise<unknown> {
  try {
    return await live.rpcCall(ns, id, method, params, deps.cfg.rpcTimeoutMs);
  } catch (err) {
    if (isRpcTargetMissing(err)) throw new AppError('unavailable', 'Machine is offline', { details: { hapiCode: 'rpc_target_missing' } });
    throw err;
  }
}

type IdRequest = FastifyRequest<{ Params: { id: string } }>;

/** `/api/machines…` (reference §3.3, §3.7 E) and the session resume routes that spawn on a machine. */
export function registerMachineRoutes(app: FastifyInstance, deps: GatewayDeps, live: LiveHandle): void {
  const guarded = async (request: IdRequest) => {
    const { namespace } = await requireWebPrincipal(request, deps);
    await requireMachine(deps, namespace, request.params.id, request.id);
    return namespace;
  };

  app.get('/api/machines', async (request) => {
    const { namespace } = await requireWebPrincipal(request, deps);
    return { machines: (await onlineMachines(deps, live, namespace, request.id)).map(toHapiMachine) };
  });

  app.patch('/api/machines/:id', async (request: IdRequest) => {
    const ns = await guarded(request);
    const { displayName } = parseOr400(RenameBody, request.body, 'Invalid body: displayName is required');
    const name = displayName.trim();
    if (name.length > DISPLAY_NAME_MAX) throw new AppError('invalid_argument', `displayName must be at most ${DISPLAY_NAME_MAX} characters`);
    const req = { namespace: ns, id: request.params.id, displayName: name || undefined };
    await deps.clients.machine.call('setDisplayName', req, { namespace: ns, requestId: request.id });
    return { ok: true };
  });

  app.post('/api/machines/:id/spawn', async (request: IdRequest) => {
    const ns = await guarded(request);
    const body = parseOr400(SpawnBody, request.body);
    return spawnOnMachine(deps, live, ns, request.params.id, body);
  });

  app.post('/api/machines/:id/list-directory', async (request: IdRequest) => {
    const ns = await guarded(request);
    const { path, includeHidden } = parseOr400(ListDirectoryBody, request.body);
    const ack = await machineRpc(deps, live, ns, request.params.id, 'list-directory', { path, includeHidden });
    return isObject(ack) ? ack : { success: false, error: 'Unexpected list-directory result' };
  });

  app.post('/api/machines/:id/paths/exists', async (request: IdRequest) => {
    const ns = await guarded(request);
    const { paths } = parseOr400(PathsExistsBody, request.body);
    const unique = Array.from(new Set(paths.map((p) => p.trim()).filter(Boolean)));
    if (unique.length === 0) return { exists: {} };
    const ack = await machineRpc(deps, live, ns, request.params.id, 'path-exists', { paths: unique });
    if (!isObject(ack) || !isObject(ack.exists)) throw new AppError('internal', 'Unexpected path-exists result');
    // fromEntries defines own keys, so a path named `__proto__` stays data.
    return { exists: Object.fromEntries(Object.entries(ack.exists).map(([k, v]) => [k, v === true])) };
  });

  registerSessionResumeRoutes(app, deps, live, { spawnOnMachine, onlineMachines });
}
