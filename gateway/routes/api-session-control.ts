import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { AppError } from '../../lib/errors.js';
import type { CallContext } from '../../lib/context.js';
import type { NullableString, Session } from '../../lib/gen/teamhub/session/v1/session.js';
import {
  CollaborationModeBody,
  CopilotAgentModeBody,
  EffortBody,
  ImplementPlanBody,
  ModelBody,
  ModelReasoningEffortBody,
  PermissionModeBody,
  ServiceTierBody,
  isPermissionModeAllowed,
  permissionModesFor,
  supportsEffort,
  supportsModelChange,
} from '../hapi/session-rules.js';
import { jsonBodyOrNull, withLenientJson } from '../http/lenient-json.js';
import { requireActive, requireWebSession } from './api-sessions-guard.js';
import type { LiveRouteDeps } from './route-deps.js';
import { controlledByUser, flavorOf, isShared } from './session-metadata.js';
import { callSession, rpcFailureText, RPC_TIMEOUT } from './session-rpc.js';

type IdParams = { Params: { id: string } };
type Config = Record<string, unknown>;

const CONFIG_KEYS = ['permissionMode', 'model', 'modelReasoningEffort', 'effort', 'serviceTier', 'collaborationMode', 'copilotAgentMode'] as const;

/** The CLI (or HAPI's check of its answer) refused a setting: 409 with the reason. */
const refused = (message: string) => new AppError('failed_precondition', message);

/** A value the CLI applied as the session service stores it (Pi's `{provider, modelId}` is its modelId). */
function storedValue(v: unknown): NullableString | undefined {
  if (v === null) return {};
  if (typeof v === 'string') return { value: v };
  if (typeof v === 'object' && typeof (v as { modelId?: unknown }).modelId === 'string') return { value: (v as { modelId: string }).modelId };
  return undefined;
}

/**
 * HAPI's applySessionConfig: an inactive session stores the settings at once; an active one asks
 * its CLI (`set-session-config`) and stores what the CLI says it `applied`, which must hold every
 * key asked for. Throws a 409 AppError with HAPI's text otherwise.
 */
async function applyConfig(deps: LiveRouteDeps, ctx: CallContext, session: Session, config: Config): Promise<void> {
  let applied: Config = config;
  if (session.active) {
    let result: unknown;
    try {
      result = await callSession(deps.live, ctx, session.id, 'set-session-config', config);
    } catch (err) {
      throw refused(rpcFailureText(err, session.id, 'set-session-config'));
    }
    if (!result || typeof result !== 'object') throw refused('Invalid response from session config RPC');
    const obj = result as Config;
    if (typeof obj.error === 'string' && obj.error.trim().length > 0) throw refused(obj.error);
    if (!obj.applied || typeof obj.applied !== 'object') throw refused(`Missing applied session config, got: ${JSON.stringify(result)}`);
    applied = obj.applied as Config;
    for (const key of Object.keys(config)) if (!(key in applied)) throw refused(`Session did not apply ${key}`);
  }
  const req: Record<string, NullableString | undefined> = {};
  for (const k of CONFIG_KEYS) if (k in applied) req[k] = storedValue(applied[k]);
  await deps.clients.session.call('applySessionConfig', { id: session.id, ...req }, ctx);
  ctx.log.info({ sessionId: session.id, keys: Object.keys(config) }, 'session config changed');
}

/** Runs the apply and answers HAPI's `{ok:true}` (a refusal is the 409 `{error}` the error handler sends). */
async function applyAndAnswer(deps: LiveRouteDeps, ctx: CallContext, session: Session, config: Config) {
  await applyConfig(deps, ctx, session, config);
  return { ok: true };
}

/** HAPI's remote-only rule: a terminal-controlled session (not shared) keeps its settings. */
const isLocal = (s: Session) => controlledByUser(s) && !isShared(s);

/**
 * Per-session control, checked against the session's agent as HAPI checks it and relayed as the
 * CLI's `set-session-config` (permission mode, model, effort, reasoning effort, collaboration
 * mode, service tier, Copilot agent mode); switching a terminal session to remote control; and
 * asking a shared Codex session to implement a plan.
 */
export function registerSessionControlRoutes(app: FastifyInstance, deps: LiveRouteDeps): void {
  withLenientJson(app, (scoped) => {
    /** A route whose checks run in HAPI's order: session (and activity), then `check`, which answers an error or the config. */
    const config = <S extends z.ZodType>(
      path: string,
      opts: { active: boolean; schema: S; check: (s: Session, body: z.output<S> | null, reply: FastifyReply) => Config | FastifyReply },
    ) =>
      scoped.post<IdParams>(`/api/sessions/:id/${path}`, async (request: FastifyRequest<IdParams>, reply) => {
        const { ctx, session } = await requireWebSession(request, deps, request.params.id);
        if (opts.active) requireActive(session);
        const parsed = opts.schema.safeParse(jsonBodyOrNull(request));
        const out = opts.check(session, parsed.success ? parsed.data : null, reply);
        if (out === reply) return reply;
        return applyAndAnswer(deps, ctx, session, out as Config);
      });
    const bad = (reply: FastifyReply, error: string, status = 400) => reply.code(status).send({ error });

    config('permission-mode', {
      active: false,
      schema: PermissionModeBody,
      check: (s, body, reply) => {
        if (!body) return bad(reply, 'Invalid body');
        const flavor = flavorOf(s);
        if (permissionModesFor(flavor).length === 0) return bad(reply, 'Permission mode not supported for session flavor');
        if (!isPermissionModeAllowed(body.mode, flavor)) return bad(reply, 'Invalid permission mode for session flavor');
        if (flavor === 'opencode' && body.mode === 'plan' && isLocal(s)) return bad(reply, 'OpenCode plan mode is only supported for remote sessions', 409);
        return { permissionMode: body.mode };
      },
    });

    config('collaboration-mode', {
      active: true,
      schema: CollaborationModeBody,
      check: (s, body, reply) => {
        if (flavorOf(s) !== 'codex') return bad(reply, 'Collaboration mode is only supported for Codex sessions');
        if (isLocal(s)) return bad(reply, 'Collaboration mode can only be changed for remote Codex sessions', 409);
        if (!body) return bad(reply, 'Invalid body');
        return { collaborationMode: body.mode };
      },
    });

    config('copilot-agent-mode', {
      active: true,
      schema: CopilotAgentModeBody,
      check: (s, body, reply) => {
        if (flavorOf(s) !== 'copilot') return bad(reply, 'Copilot agent mode is only supported for Copilot sessions');
        if (isLocal(s)) return bad(reply, 'Copilot agent mode can only be changed for remote Copilot sessions', 409);
        if (!body) return bad(reply, 'Invalid body');
        return { copilotAgentMode: body.mode };
      },
    });

    config('model', {
      active: true,
      schema: ModelBody,
      check: (s, body, reply) => {
        if (!body) return bad(reply, 'Invalid body');
        const flavor = flavorOf(s);
        if (!supportsModelChange(flavor)) return bad(reply, 'Model selection is not supported for this session');
        if (isLocal(s) && (flavor === 'codex' || flavor === 'cursor' || flavor === 'grok')) {
          const name = { codex: 'Codex', cursor: 'Cursor', grok: 'Grok' }[flavor];
          return bad(reply, `Model selection can only be changed for remote ${name} sessions`, 409);
        }
        return { model: body.model };
      },
    });

    config('model-reasoning-effort', {
      active: true,
      schema: ModelReasoningEffortBody,
      check: (s, body, reply) => {
        const flavor = flavorOf(s);
        if (flavor !== 'codex' && flavor !== 'opencode') return bad(reply, 'Model reasoning effort is only supported for Codex and OpenCode sessions');
        if (isLocal(s)) return bad(reply, 'Model reasoning effort can only be changed for remote sessions', 409);
        if (!body) return bad(reply, 'Invalid body');
        return { modelReasoningEffort: body.modelReasoningEffort };
      },
    });

    config('effort', {
      active: true,
      schema: EffortBody,
      check: (s, body, reply) => {
        if (!body) return bad(reply, 'Invalid body');
        const flavor = flavorOf(s);
        if (!supportsEffort(flavor)) return bad(reply, 'Effort selection is not supported for this session type');
        if (flavor === 'grok' && isLocal(s)) return bad(reply, 'Effort can only be changed for remote Grok sessions', 409);
        return { effort: body.effort };
      },
    });

    config('service-tier', {
      active: true,
      schema: ServiceTierBody,
      check: (s, body, reply) => {
        if (flavorOf(s) !== 'codex') return bad(reply, 'Fast mode is only supported for Codex sessions');
        if (isLocal(s)) return bad(reply, 'Fast mode can only be changed for remote sessions', 409);
        if (!body) return bad(reply, 'Invalid body');
        return { serviceTier: body.serviceTier };
      },
    });

    scoped.post<IdParams>('/api/sessions/:id/codex/plan/implement', async (request, reply) => {
      const { ctx, session } = await requireWebSession(request, deps, request.params.id);
      requireActive(session);
      if (flavorOf(session) !== 'codex' || !isShared(session)) return reply.code(409).send({ ok: false, code: 'unavailable', error: 'An active shared Codex session is required' });
      const body = ImplementPlanBody.safeParse(jsonBodyOrNull(request));
      if (!body.success) return bad(reply, 'Invalid body');
      const indeterminate = {
        ok: false,
        code: 'indeterminate',
        error: 'Plan implementation could not be confirmed. Reconnect and check the mode, queue and conversation before retrying.',
      };
      const result = (await callSession(deps.live, ctx, session.id, 'implement-codex-plan', { planId: body.data.planId }, RPC_TIMEOUT.plan).catch(() => indeterminate)) as Record<string, unknown> | null;
      const answer = result && typeof result === 'object' ? result : indeterminate;
      const status = answer.ok === true ? 200 : answer.code === 'indeterminate' ? 503 : answer.code === 'failed' ? 502 : 409;
      return reply.code(status).send(answer);
    });
  });

  app.post<IdParams>('/api/sessions/:id/switch', async (request, reply) => {
    const { ctx, session } = await requireWebSession(request, deps, request.params.id);
    requireActive(session);
    if (isShared(session)) return reply.code(409).send({ error: 'Shared sessions do not switch modes', code: 'control_mode_not_applicable' });
    await callSession(deps.live, ctx, session.id, 'switch', { to: 'remote' });
    ctx.log.info({ sessionId: session.id }, 'session switched to remote');
    return { ok: true };
  });
}
