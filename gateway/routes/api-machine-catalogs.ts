import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { isRpcTargetMissing } from './machine-spawn.js';
import type { CallContext } from '../../lib/context.js';
import { AgentAvailabilityResponse, hasCapability, MACHINE_CAPABILITY, machineMetadata } from '../hapi/machine-schemas.js';
import { parseOr400 } from '../http/validate.js';
import { requireWebCall } from '../http/web-auth.js';
import { relayErrorText, requireMachine } from './api-machines.js';
import type { LiveRouteDeps } from './route-deps.js';

/** HAPI waits this long for a runner to list models (some probe a CLI or a provider first). */
const MODEL_LIST_TIMEOUT_MS = 120_000;
const DEFAULT_TIMEOUT_MS = 30_000;

type CatalogRequest = FastifyRequest<{ Params: { id: string }; Querystring: unknown }>;

/**
 * The catalogs' query: each parameter once, as text. A parameter given twice reaches the route
 * as an array, which the RPC params below must never see (`cwd.trim` on it threw, a 500).
 */
const CatalogQuery = z.object({ cwd: z.string().optional(), refresh: z.string().optional() });
type CatalogQuery = z.output<typeof CatalogQuery>;

interface Catalog {
  path: string;
  method: string;
  /** The RPC params from the query; null answers HAPI's 400 (a required `cwd` missing). */
  params: (q: CatalogQuery) => Record<string, unknown> | null;
  timeoutMs: number;
  /** What the failure text is when the error has none. */
  fallback: string;
  /** A missing runner answers 503 with `code: rpc_target_missing` (these routes only, as in HAPI). */
  targetMissing503: boolean;
}

const cwdRequired = (q: CatalogQuery) => {
  const cwd = (q.cwd ?? '').trim();
  return cwd ? { cwd } : null;
};

/** The eight model catalogs of HAPI's new-session form, each relayed to the runner as is. */
const CATALOGS: Catalog[] = [
  { path: 'agy-models', method: 'listAgyModels', params: (q) => ({ refresh: q.refresh === 'true' }), timeoutMs: MODEL_LIST_TIMEOUT_MS, fallback: 'Failed to list Agy models', targetMissing503: false },
  { path: 'pi-models', method: 'listPiModelsForMachine', params: () => ({}), timeoutMs: MODEL_LIST_TIMEOUT_MS, fallback: 'Failed to list Pi models', targetMissing503: true },
  { path: 'codex-models', method: 'listCodexModels', params: () => ({}), timeoutMs: MODEL_LIST_TIMEOUT_MS, fallback: 'Failed to list Codex models', targetMissing503: true },
  { path: 'opencode-models', method: 'listOpencodeModelsForCwd', params: cwdRequired, timeoutMs: DEFAULT_TIMEOUT_MS, fallback: 'Failed to list OpenCode models', targetMissing503: false },
  { path: 'opencode-model-variants', method: 'listOpencodeModelVariants', params: (q) => ({ cwd: q.cwd || null }), timeoutMs: MODEL_LIST_TIMEOUT_MS, fallback: 'Failed to list OpenCode model variants', targetMissing503: true },
  { path: 'grok-models', method: 'listGrokModelsForCwd', params: cwdRequired, timeoutMs: DEFAULT_TIMEOUT_MS, fallback: 'Failed to list Grok models', targetMissing503: false },
  { path: 'copilot-models', method: 'listCopilotModelsForCwd', params: cwdRequired, timeoutMs: MODEL_LIST_TIMEOUT_MS, fallback: 'Failed to list Copilot models', targetMissing503: false },
  { path: 'cursor-models', method: 'listCursorModels', params: () => ({}), timeoutMs: MODEL_LIST_TIMEOUT_MS, fallback: 'Failed to list Cursor models', targetMissing503: false },
];

const RESTART_UNSUPPORTED = 'Restart requires a supervised runner (HAPI_RUNNER_SUPERVISED=1); unsupervised stop would leave the host offline';

/**
 * What the web's new-session form asks a machine's runner (`agent-availability`, the model
 * catalogs) and the runner restart, each relayed over routed RPC to the runner socket of the
 * machine in the caller's namespace. A machine of another namespace answers 403 `Machine access
 * denied` before anything reaches a runner; failures answer HAPI's statuses and bodies.
 */
export function registerApiMachineCatalogRoutes(app: FastifyInstance, deps: LiveRouteDeps): void {
  const rpc = (ctx: CallContext, id: string, method: string, params: unknown, timeoutMs: number) => deps.live.rpcCall(ctx.namespace, id, method, params, timeoutMs);

  app.get('/api/machines/:id/agent-availability', async (request: CatalogRequest, reply: FastifyReply) => {
    const { ctx } = await requireWebCall(request, deps);
    const machine = await requireMachine(deps, ctx, request.params.id);
    if (!hasCapability(machine, MACHINE_CAPABILITY.agentAvailability)) {
      return reply.code(409).send({ error: 'This runner must be upgraded before creating sessions', code: 'runner_upgrade_required' });
    }
    try {
      const ack = await rpc(ctx, machine.id, 'agent-availability', {}, DEFAULT_TIMEOUT_MS);
      const parsed = AgentAvailabilityResponse.safeParse(ack);
      if (!parsed.success) return reply.code(500).send({ error: parsed.error.message });
      return parsed.data;
    } catch (err) {
      return reply.code(500).send({ error: relayErrorText(err, 'Failed to inspect Agent availability') });
    }
  });

  for (const c of CATALOGS) {
    app.get(`/api/machines/:id/${c.path}`, async (request: CatalogRequest, reply: FastifyReply) => {
      const { ctx } = await requireWebCall(request, deps);
      const machine = await requireMachine(deps, ctx, request.params.id);
      const params = c.params(parseOr400(CatalogQuery, request.query ?? {}, 'Invalid query'));
      if (params === null) return reply.code(400).send({ success: false, error: 'cwd query parameter is required' });
      try {
        return await rpc(ctx, machine.id, c.method, params, c.timeoutMs);
      } catch (err) {
        const error = relayErrorText(err, c.fallback);
        if (c.targetMissing503 && isRpcTargetMissing(err)) return reply.code(503).send({ success: false, error, code: 'rpc_target_missing' });
        return reply.code(500).send({ success: false, error });
      }
    });
  }

  app.post('/api/machines/:id/restart-runner', async (request: CatalogRequest, reply: FastifyReply) => {
    const { ctx } = await requireWebCall(request, deps);
    const machine = await requireMachine(deps, ctx, request.params.id);
    const online = await deps.live.isMachineOnline(ctx.namespace, machine.id).catch(() => machine.active);
    if (!online) return reply.code(503).send({ error: 'Machine is offline', code: 'machine_offline' });
    // Only a runner started by a supervisor comes back after stop-runner; stopping any other
    // would leave the machine offline until someone restarts it by hand.
    if (machineMetadata(machine).supervisedRestart !== true) return reply.code(502).send({ error: RESTART_UNSUPPORTED, code: 'restart_unsupported' });
    try {
      await rpc(ctx, machine.id, 'stop-runner', {}, DEFAULT_TIMEOUT_MS);
    } catch (err) {
      return reply.code(502).send({ error: relayErrorText(err, 'Failed to restart runner'), code: 'restart_failed' });
    }
    ctx.log.info({ machineId: machine.id }, 'runner restart requested');
    return { message: 'Runner stop requested; supervisor will relaunch' };
  });
}
