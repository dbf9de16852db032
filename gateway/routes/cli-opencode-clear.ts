import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { AppError, isAppError } from '../../lib/errors.js';
import type { CallContext } from '../../lib/context.js';
import type { Session } from '../../lib/gen/teamhub/session/v1/session.js';
import { ClearCallbackBody } from '../hapi/session-rules.js';
import { requireCliContext } from '../http/cli-auth.js';
import { jsonBodyOrNull, withLenientJson } from '../http/lenient-json.js';
import { requireCodedSession } from './cli-session-resume.js';
import { spawnOnMachine, type SpawnOptions } from './machine-spawn.js';
import type { LiveRouteDeps } from './route-deps.js';
import { metadataOf, str, updateMetadataWith, type Metadata } from './session-metadata.js';

type IdParams = { Params: { id: string } };

/** The state of an OpenCode /clear, kept in the source session's metadata as HAPI keeps it. */
interface ClearOperation {
  replacementSessionId: string;
  state: 'reserved' | 'aborted' | 'cleanup-confirmed' | 'pending' | 'finalizing' | 'failed' | 'completed';
  updatedAt: number;
  error?: string;
}

const CLEARED_REASON = 'Cleared by /clear';

function operationOf(md: Metadata | null): ClearOperation | undefined {
  const op = md?.opencodeClearOperation;
  return typeof op === 'object' && op !== null && typeof (op as ClearOperation).replacementSessionId === 'string' ? (op as ClearOperation) : undefined;
}

/** HAPI's `{error, code}` with the status its CLI routes give each code. */
function clearError(reply: FastifyReply, code: 'clear_unavailable' | 'replacement_link_failed' | 'spawn_failed', message: string) {
  return reply.code(code === 'clear_unavailable' ? 409 : 500).send({ error: message, code });
}

/** The replacement's metadata: the source's, without what belonged to its native session and archive. */
function replacementMetadata(md: Metadata): Metadata {
  const next = { ...md };
  for (const k of ['opencodeSessionId', 'supersededBySessionId', 'opencodeClearOperation', 'lifecycleState', 'lifecycleStateSince', 'archivedBy', 'archiveReason']) delete next[k];
  next.startedFromRunner = true;
  next.startedBy = 'runner';
  return next;
}

/** Creates (or loads) the replacement session under HAPI's tag, with the reserved id. */
async function ensureReplacement(deps: LiveRouteDeps, ctx: CallContext, source: Session, md: Metadata, replacementId: string): Promise<Session> {
  const res = await deps.clients.session.call(
    'createOrLoadSession',
    {
      id: replacementId,
      tag: `opencode-clear-replacement:${replacementId}`,
      metadataJson: JSON.stringify(replacementMetadata(md)),
      model: source.model,
      effort: source.effort,
      modelReasoningEffort: source.modelReasoningEffort,
    },
    ctx,
  );
  if (!res.session) throw new AppError('internal', 'session service answered without a session');
  return res.session;
}

/**
 * Writes the operation unless the source was already superseded by another replacement or holds
 * another live reservation (HAPI's persistClearOperation). False when it could not.
 */
async function persistOperation(deps: LiveRouteDeps, ctx: CallContext, id: string, op: ClearOperation): Promise<boolean> {
  let ok = false;
  try {
    await updateMetadataWith(deps, ctx, id, (md) => {
      ok = false;
      if (!md) return null;
      if (typeof md.supersededBySessionId === 'string') {
        ok = md.supersededBySessionId === op.replacementSessionId;
        return null;
      }
      const existing = operationOf(md);
      if (existing && existing.replacementSessionId !== op.replacementSessionId && existing.state !== 'aborted') return null;
      ok = true;
      return { ...md, opencodeClearOperation: op };
    });
  } catch (err) {
    if (!isAppError(err, 'conflict')) throw err;
    return false;
  }
  return ok;
}

/** Moves the operation from `from` to `to` if it is still in `from` for that replacement (or already in `to`). */
async function transition(deps: LiveRouteDeps, ctx: CallContext, id: string, replacementId: string, from: ClearOperation['state'], to: ClearOperation['state']): Promise<boolean> {
  let ok = false;
  try {
    await updateMetadataWith(deps, ctx, id, (md) => {
      const op = operationOf(md);
      ok = op?.replacementSessionId === replacementId && op.state === to;
      if (ok || !md || op?.replacementSessionId !== replacementId || op.state !== from) return null;
      ok = true;
      return { ...md, opencodeClearOperation: { replacementSessionId: replacementId, state: to, updatedAt: Date.now() } };
    });
  } catch (err) {
    if (!isAppError(err, 'conflict')) throw err;
    return false;
  }
  return ok;
}

/**
 * OpenCode's `/clear` as HAPI's CLI drives it, in four calls: `reserve` a replacement id (the
 * replacement is created inactive), `confirm-cleanup` once the native session is cleared (or
 * `abort`), the CLI archives the source with "Cleared by /clear" and ends, then `clear-opencode`
 * spawns the replacement on the source's machine and links it (`supersededBySessionId`). The
 * operation lives in the source's metadata, so any gateway replica can take the next step.
 */
export function registerCliOpencodeClearRoutes(app: FastifyInstance, deps: LiveRouteDeps): void {
  withLenientJson(app, (scoped) => {
    scoped.post<IdParams>('/cli/sessions/:id/clear-opencode/reserve', async (request, reply) => {
      const ctx = await requireCliContext(request, deps);
      const source = await requireCodedSession(deps, ctx, request.params.id);
      const md = metadataOf(source);
      if (!source.active || md?.flavor !== 'opencode' || md.startedBy !== 'runner' || !str(md.machineId) || !str(md.path)) {
        return clearError(reply, 'clear_unavailable', 'Session is not an active runner-backed OpenCode session');
      }
      const existing = operationOf(md);
      const op: ClearOperation = !existing || existing.state === 'aborted' ? { replacementSessionId: randomUUID(), state: 'reserved', updatedAt: Date.now() } : existing;
      if (op !== existing && !(await persistOperation(deps, ctx, source.id, op))) {
        return clearError(reply, 'replacement_link_failed', 'Could not persist the OpenCode clear reservation');
      }
      await ensureReplacement(deps, ctx, source, md, op.replacementSessionId);
      ctx.log.info({ sessionId: source.id, replacementId: op.replacementSessionId }, 'opencode clear reserved');
      return { ok: true, sessionId: op.replacementSessionId };
    });

    const callback = (step: 'abort' | 'confirm-cleanup') =>
      scoped.post<IdParams>(`/cli/sessions/:id/clear-opencode/${step}`, async (request, reply) => {
        const ctx = await requireCliContext(request, deps);
        const parsed = ClearCallbackBody.safeParse(jsonBodyOrNull(request));
        if (!parsed.success) throw new AppError('invalid_argument', 'Invalid clear callback request');
        // HAPI's callbacks say "Session not found" for another namespace's id too (code access_denied).
        const source = await requireCodedSession(deps, ctx, request.params.id, 'Session not found');
        const op = operationOf(metadataOf(source));
        const wanted = parsed.data.replacementSessionId;
        const notFound = () => clearError(reply, 'clear_unavailable', 'Clear reservation not found');
        if (!op) return notFound();
        if (step === 'abort') {
          if (op.state === 'aborted') return op.replacementSessionId === wanted ? { ok: true, sessionId: source.id } : notFound();
          // Another id than the reserved one is the caller's mistake: 409 as confirm-cleanup says
          // (HAPI answers it 500 replacement_link_failed, which reads as a hub failure).
          if (op.replacementSessionId !== wanted) return notFound();
          if (!(await transition(deps, ctx, source.id, wanted, 'reserved', 'aborted'))) return clearError(reply, 'replacement_link_failed', 'Could not abort clear reservation');
          ctx.log.info({ sessionId: source.id }, 'opencode clear aborted');
          return { ok: true, sessionId: source.id };
        }
        if (op.state === 'cleanup-confirmed' && op.replacementSessionId === wanted) return { ok: true, sessionId: wanted };
        if (op.state !== 'reserved' || op.replacementSessionId !== wanted) return notFound();
        if (!(await transition(deps, ctx, source.id, wanted, 'reserved', 'cleanup-confirmed'))) return clearError(reply, 'replacement_link_failed', 'Could not confirm native cleanup');
        return { ok: true, sessionId: wanted };
      });
    callback('abort');
    callback('confirm-cleanup');
  });

  app.post<IdParams>('/cli/sessions/:id/clear-opencode', async (request, reply) => {
    const ctx = await requireCliContext(request, deps);
    const source = await requireCodedSession(deps, ctx, request.params.id);
    const md = metadataOf(source);
    if (source.active || !md || md.flavor !== 'opencode' || md.lifecycleState !== 'archived' || md.archiveReason !== CLEARED_REASON) {
      return clearError(reply, 'clear_unavailable', 'Session must be an archived OpenCode clear source');
    }
    if (typeof md.supersededBySessionId === 'string') return { ok: true, sessionId: md.supersededBySessionId };
    const machineId = str(md.machineId);
    const directory = str(md.path);
    if (!machineId || !directory) return clearError(reply, 'clear_unavailable', 'OpenCode clear source is missing machine or directory metadata');
    const machine = await deps.clients.machine.call('getMachine', { id: machineId }, ctx).catch((err: unknown) => {
      if (isAppError(err, 'permission_denied') || isAppError(err, 'not_found')) return null;
      throw err;
    });
    if (!machine?.machine) return clearError(reply, 'clear_unavailable', 'OpenCode clear source machine is unavailable in this namespace');

    let op = operationOf(md);
    if (!op || op.state === 'failed') {
      op = { replacementSessionId: op?.replacementSessionId ?? randomUUID(), state: 'pending', updatedAt: Date.now() };
      if (!(await persistOperation(deps, ctx, source.id, op))) return clearError(reply, 'replacement_link_failed', 'Could not persist the OpenCode clear replacement operation');
    }
    if (op.state === 'reserved') return clearError(reply, 'clear_unavailable', 'Native OpenCode cleanup is not confirmed');
    if (op.state === 'cleanup-confirmed') {
      op = { ...op, state: 'finalizing', updatedAt: Date.now() };
      if (!(await persistOperation(deps, ctx, source.id, op))) return clearError(reply, 'replacement_link_failed', 'Could not finalize the OpenCode clear reservation');
    }
    const replacementId = op.replacementSessionId;
    const replacement = await ensureReplacement(deps, ctx, source, md, replacementId);
    if (!replacement.active) {
      const opts = {
        directory,
        agent: 'opencode',
        model: source.model,
        modelReasoningEffort: source.modelReasoningEffort,
        yolo: false,
        effort: source.effort,
        permissionMode: source.permissionMode ?? str(md.preferredPermissionMode),
        serviceTier: source.serviceTier,
        collaborationMode: source.collaborationMode,
        existingSessionId: replacementId,
      } as SpawnOptions;
      const spawned = await spawnOnMachine(deps, deps.live, ctx, machineId, opts);
      const failure = spawned.type !== 'success' ? String(spawned.message ?? 'Failed to spawn session') : spawned.sessionId !== replacementId ? 'Runner returned an unexpected OpenCode clear replacement id' : null;
      if (failure !== null) {
        await persistOperation(deps, ctx, source.id, { ...op, state: 'failed', updatedAt: Date.now(), error: failure.slice(0, 500) });
        return clearError(reply, 'spawn_failed', failure);
      }
    }
    let linked = false;
    await updateMetadataWith(deps, ctx, source.id, (current) => {
      if (!current) return null;
      if (typeof current.supersededBySessionId === 'string') {
        linked = current.supersededBySessionId === replacementId;
        return null;
      }
      linked = true;
      return { ...current, supersededBySessionId: replacementId, opencodeClearOperation: { ...op, state: 'completed', updatedAt: Date.now() } };
    }).catch((err: unknown) => {
      if (!isAppError(err, 'conflict')) throw err;
    });
    if (!linked) return clearError(reply, 'replacement_link_failed', 'Fresh OpenCode session started but the archived source could not be linked');
    ctx.log.info({ sessionId: source.id, replacementId }, 'opencode clear completed');
    return { ok: true, sessionId: replacementId };
  });
}
