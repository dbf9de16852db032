import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AppError } from '../../lib/errors.js';
import type { CallContext } from '../../lib/context.js';
import { toHapiMachine } from '../hapi/machine-view.js';
import type { Machine } from '../../lib/gen/teamhub/machine/v1/machine.js';
import { requireWebCall } from '../http/web-auth.js';
import { parseOr400 } from '../http/validate.js';
import { hasCapability, MACHINE_CAPABILITY } from '../hapi/machine-schemas.js';
import { onlineMachines, spawnOnMachine, SpawnBody } from './machine-spawn.js';
import type { LiveRouteDeps } from './route-deps.js';

/** HAPI's MACHINE_DISPLAY_NAME_MAX_LENGTH. */
const DISPLAY_NAME_MAX = 64;

const ListDirectoryBody = z.object({ path: z.string().min(1), includeHidden: z.boolean().optional() });
const PathsExistsBody = z.object({ paths: z.array(z.string().min(1)).max(1000) });
const RenameBody = z.object({ displayName: z.string() });

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

type IdRequest = FastifyRequest<{ Params: { id: string } }>;

/** HAPI's `requireMachine`: 403 Machine access denied / 404 Machine not found, from the service. */
export async function requireMachine(deps: Pick<LiveRouteDeps, 'clients'>, ctx: CallContext, id: string): Promise<Machine> {
  const res = await deps.clients.machine.call('getMachine', { id }, ctx);
  if (!res.machine) throw new AppError('not_found', 'Machine not found');
  return res.machine;
}

/** The text HAPI answers for a failed relay: the error's own message (a missing handler, a timeout…). */
export function relayErrorText(err: unknown, fallback: string): string {
  return err instanceof Error && err.message ? err.message : fallback;
}

/**
 * Relays a machine RPC for a web route; a failure (no runner, a timeout) answers HAPI's 500 with
 * the error's text, as HAPI's directory routes do.
 */
async function machineRpcOr500(deps: LiveRouteDeps, reply: FastifyReply, ctx: CallContext, id: string, method: string, params: unknown, fallback: string): Promise<{ ok: true; ack: unknown } | { ok: false }> {
  try {
    return { ok: true, ack: await deps.live.rpcCall(ctx.namespace, id, method, params, deps.cfg.rpcTimeoutMs) };
  } catch (err) {
    ctx.log.info({ machineId: id, method, err: relayErrorText(err, fallback) }, 'machine rpc failed');
    void reply.code(500).send({ error: relayErrorText(err, fallback) });
    return { ok: false };
  }
}

/**
 * `/api/machines…`: the namespace's online machines, rename, and what a runner is asked over
 * routed RPC (spawn, list a directory, check paths). A machine of another namespace answers
 * 403 `Machine access denied` before anything reaches a runner.
 */
export function registerApiMachineRoutes(app: FastifyInstance, deps: LiveRouteDeps): void {
  const { live } = deps;
  const guarded = async (request: IdRequest): Promise<CallContext> => {
    const { ctx } = await requireWebCall(request, deps);
    await requireMachine(deps, ctx, request.params.id);
    return ctx;
  };

  app.get('/api/machines', async (request) => {
    const { ctx } = await requireWebCall(request, deps);
    return { machines: (await onlineMachines(deps, live, ctx)).map(toHapiMachine) };
  });

  app.patch('/api/machines/:id', async (request: IdRequest) => {
    const { ctx } = await requireWebCall(request, deps);
    const body = RenameBody.safeParse(request.body);
    // One call: the service answers 403/404 for a foreign or unknown machine. Only a bad body
    // needs the lookup first, so it is answered as before (403/404 win over 400).
    if (!body.success) {
      await requireMachine(deps, ctx, request.params.id);
      throw new AppError('invalid_argument', 'Invalid body: displayName is required');
    }
    const name = body.data.displayName.trim();
    if (name.length > DISPLAY_NAME_MAX) {
      await requireMachine(deps, ctx, request.params.id);
      throw new AppError('invalid_argument', `displayName must be at most ${DISPLAY_NAME_MAX} characters`);
    }
    await deps.clients.machine.call('setDisplayName', { id: request.params.id, displayName: name || undefined }, ctx);
    return { ok: true };
  });

  app.post('/api/machines/:id/spawn', async (request: IdRequest) => {
    const { ctx } = await requireWebCall(request, deps);
    const machine = await requireMachine(deps, ctx, request.params.id);
    // HAPI checks the runner before the body: a runner that cannot report which agents it has
    // would start sessions the new-session form could not have offered.
    if (!hasCapability(machine, MACHINE_CAPABILITY.agentAvailability)) {
      return { type: 'error', message: 'This runner must be upgraded before creating sessions', code: 'runner_upgrade_required' };
    }
    const body = parseOr400(SpawnBody, request.body);
    if ((body.agent === 'agy' || body.agent === 'dsh') && body.startingMode && body.startingMode !== 'remote') {
      throw new AppError('invalid_argument', `${body.agent.toUpperCase()} only supports remote mode`);
    }
    return spawnOnMachine(deps, live, ctx, request.params.id, body);
  });

  app.post('/api/machines/:id/list-directory', async (request: IdRequest, reply) => {
    const ctx = await guarded(request);
    const { path, includeHidden } = parseOr400(ListDirectoryBody, request.body);
    const res = await machineRpcOr500(deps, reply, ctx, request.params.id, 'list-directory', { path, includeHidden }, 'Failed to list directory');
    if (!res.ok) return reply;
    return isObject(res.ack) ? res.ack : { success: false, error: 'Unexpected list-directory result' };
  });

  app.post('/api/machines/:id/paths/exists', async (request: IdRequest, reply) => {
    const ctx = await guarded(request);
    const { paths } = parseOr400(PathsExistsBody, request.body);
    const unique = Array.from(new Set(paths.map((p) => p.trim()).filter(Boolean)));
    if (unique.length === 0) return { exists: {} };
    const res = await machineRpcOr500(deps, reply, ctx, request.params.id, 'path-exists', { paths: unique }, 'Failed to check paths');
    if (!res.ok) return reply;
    const ack = res.ack;
    if (!isObject(ack) || !isObject(ack.exists)) return reply.code(500).send({ error: 'Unexpected path-exists result' });
    // fromEntries defines own keys, so a path named `__proto__` stays data.
    const exists = Object.fromEntries(Object.entries(ack.exists).map(([k, v]) => [k, v === true]));
    const outside = Array.isArray(ack.outsideWorkspaceRoots) ? ack.outsideWorkspaceRoots.filter((p): p is string => typeof p === 'string') : [];
    return outside.length > 0 ? { exists, outsideWorkspaceRoots: outside } : { exists };
  });
}
