import { z } from 'zod';
import { AppError, isAppError } from '../../lib/errors.js';
import type { CallContext } from '../../lib/context.js';
import type { Machine } from '../../lib/gen/teamhub/machine/v1/machine.js';
import type { GatewayDeps } from '../deps.js';
import type { Live } from '../live/index.js';
import { AGENT_FLAVORS } from '../hapi/machine-schemas.js';

/**
 * Spawning on a machine and finding online machines: shared by the machine routes (spawn) and
 * the session routes (resume, reopen), which is why it is its own module.
 */

/** The two live operations spawning needs (a fake in unit tests). */
export type MachineRpc = Pick<Live, 'rpcCall' | 'isMachineOnline'>;

const PERMISSION_MODES = [
  'default', 'acceptEdits', 'auto', 'bypassPermissions', 'plan', 'ask', 'debug', 'autoReview',
  'read-only', 'safe-yolo', 'yolo', 'request-review', 'always-proceed',
] as const;

/** HAPI 0.30.7's SpawnSessionRequestSchema: what the web page may ask a runner to start. */
export const SpawnBody = z.object({
  directory: z.string().min(1),
  agent: z.enum(AGENT_FLAVORS).optional(),
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
export type SpawnOptions = z.output<typeof SpawnBody> & { resumeSessionId?: string; existingSessionId?: string; forkSession?: boolean };


export type SpawnAnswer = Record<string, unknown> & { type: string };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The runner error codes HAPI passes on to the web (the page acts on these two). */
const PASSED_ERROR_CODES = new Set(['agent_unavailable', 'outside_workspace_roots']);

/**
 * The runner's spawn ack → the web answer (always HTTP 200), as HAPI normalises it: success keeps
 * only the session id; the runner's error becomes `{type:'error', message}` with its code when it
 * is one the page acts on and the unavailable agent; a request to approve a new directory is an
 * error saying so (the page cannot approve it).
 */
export function normalizeSpawnAck(ack: unknown): SpawnAnswer {
  if (isObject(ack)) {
    if (ack.type === 'success' && typeof ack.sessionId === 'string') return { type: 'success', sessionId: ack.sessionId };
    if (ack.type === 'error' && typeof ack.errorMessage === 'string') {
      return {
        type: 'error',
        message: ack.errorMessage,
        ...(typeof ack.code === 'string' && PASSED_ERROR_CODES.has(ack.code) ? { code: ack.code } : {}),
        ...(typeof ack.agent === 'string' && ack.agent ? { agent: ack.agent } : {}),
      };
    }
    if (ack.type === 'requestToApproveDirectoryCreation' && typeof ack.directory === 'string') {
      return { type: 'error', message: `Directory creation requires approval: ${ack.directory}` };
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
    forkSession: o.forkSession === true,
  };
  for (const k of Object.keys(params)) if (params[k] === undefined) delete params[k];
  return params;
}

/** No runner socket for the machine: HAPI's missing-handler text, with teamhub's code for clients that match on it. */
const offline = (machineId: string): SpawnAnswer => ({ type: 'error', message: `RPC handler not registered: ${machineId}:spawn-happy-session`, code: 'rpc_target_missing' });

/**
 * Asks the machine's runner (on whichever replica holds its socket) to spawn a session. Never
 * throws for runner trouble: an offline machine or a missing socket answers at once with
 * HAPI's missing-handler message (no 30 s wait on a runner that stopped heartbeating), a
 * timeout or failure as `{type:'error', message}`.
 */
export async function spawnOnMachine(deps: Pick<GatewayDeps, 'cfg'>, live: MachineRpc, ctx: CallContext, machineId: string, opts: SpawnOptions): Promise<SpawnAnswer> {
  const ns = ctx.namespace;
  const online = await live.isMachineOnline(ns, machineId).catch(() => true);
  if (!online) return offline(machineId);
  try {
    const ack = await live.rpcCall(ns, machineId, 'spawn-happy-session', spawnParams(opts), deps.cfg.rpcTimeoutMs);
    return normalizeSpawnAck(ack);
  } catch (err) {
    if (isRpcTargetMissing(err)) return offline(machineId);
    if (isAppError(err, 'deadline_exceeded')) return { type: 'error', message: err.message };
    ctx.log.warn({ err, machineId }, 'spawn failed');
    return { type: 'error', message: isAppError(err) && err.code !== 'internal' ? err.message : 'Failed to spawn session' };
  }
}

/** The machines of the context's namespace that are online now (store says active and a heartbeat is within the window). */
export async function onlineMachines(deps: Pick<GatewayDeps, 'clients'>, live: MachineRpc, ctx: CallContext): Promise<Machine[]> {
  const res = await deps.clients.machine.call('listMachines', { activeOnly: true }, ctx);
  const online = await Promise.all(res.machines.map((m) => live.isMachineOnline(ctx.namespace, m.id).catch(() => false)));
  return res.machines.filter((_, i) => online[i]);
}
