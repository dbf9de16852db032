import type { FastifyInstance, FastifyReply } from 'fastify';
import { isAppError } from '../../lib/errors.js';
import type { CallContext } from '../../lib/context.js';
import type { Machine } from '../../lib/gen/teamhub/machine/v1/machine.js';
import type { Session } from '../../lib/gen/teamhub/session/v1/session.js';
import { fromJsonText } from '../../lib/json.js';
import { resumeTarget } from '../hapi/resume-target.js';
import { isPermissionModeAllowed, knownFlavor, ResumeBody } from '../hapi/session-rules.js';
import { jsonBodyOrNull, withLenientJson } from '../http/lenient-json.js';
import { requireWebSession } from './api-sessions-guard.js';
import { onlineMachines, spawnOnMachine, type SpawnOptions } from './machine-spawn.js';
import type { LiveRouteDeps } from './route-deps.js';
import { flavorOf, metadataOf, str, updateMetadataWith, type Metadata } from './session-metadata.js';
import { waitForActive } from './session-waits.js';

type IdParams = { Params: { id: string } };

export type ResumeOutcome = { type: 'success'; sessionId: string } | { type: 'error'; code: string; message: string };

/** HAPI's `resumeSession` machine choice: the session's machine if online, else (unless strict) one on the same host. */
export function pickMachine(online: Machine[], meta: Metadata, strict = false): Machine | undefined {
  const machineId = str(meta.machineId);
  if (machineId) {
    const byId = online.find((m) => m.id === machineId);
    if (byId || strict) return byId;
  }
  const host = str(meta.host);
  if (!host) return undefined;
  return online.find((m) => {
    const md = fromJsonText(m.metadataJson) as Metadata | null;
    return md !== null && typeof md === 'object' && md.host === host;
  });
}

const RESUME_STATUS: Record<string, number> = { no_machine_online: 503, access_denied: 403, session_not_found: 404, resume_unavailable: 409, metadata_conflict: 409 };

/** A resume error as HAPI answers it: `{error, code}` with the code's status (500 for the rest). */
export function sendResumeError(reply: FastifyReply, outcome: { code: string; message: string }) {
  return reply.code(RESUME_STATUS[outcome.code] ?? 500).send({ error: outcome.message, code: outcome.code });
}

/** An OpenCode session that `/clear` replaced is never resumed (its replacement is the live one). */
function isOpencodeClearSource(md: Metadata | null): boolean {
  if (md?.flavor !== 'opencode') return false;
  const op = md.opencodeClearOperation as { state?: unknown } | undefined;
  return md.archiveReason === 'Cleared by /clear' || (op !== undefined && op !== null && op.state !== 'aborted') || md.supersededBySessionId !== undefined;
}

/**
 * HAPI's resume of an inactive session: spawn it again on its machine (by id, then by host) with
 * the agent's own session id and its settings, under its own id (`existingSessionId`), then wait
 * until it is alive. A session that never started (no agent id, no messages) starts fresh.
 */
export async function resumeSession(deps: LiveRouteDeps, ctx: CallContext, session: Session, opts: { permissionMode?: string } = {}): Promise<ResumeOutcome> {
  const md = metadataOf(session);
  if (isOpencodeClearSource(md)) return { type: 'error', code: 'resume_unavailable', message: 'This OpenCode session was replaced by /clear' };
  if (session.active) return { type: 'success', sessionId: session.id };
  const target = resumeTarget(session);
  let flavor: string;
  let resumeSessionId: string | undefined;
  let directory: string;
  if (target.type === 'success') {
    ({ flavor, agentSessionId: resumeSessionId, directory } = target.target);
  } else if (md && str(md.path) && !session.hasConversationContent) {
    flavor = knownFlavor(md.flavor);
    directory = str(md.path)!;
  } else {
    return target;
  }
  const strict = flavor === 'cursor' || (flavor === 'pi' && resumeSessionId !== undefined);
  const machine = pickMachine(await onlineMachines(deps, deps.live, ctx), md ?? {}, strict);
  if (!machine) return { type: 'error', code: 'no_machine_online', message: 'No machine online' };
  if (flavor === 'cursor' && resumeSessionId) {
    const status = await deps.live
      .rpcCall(ctx.namespace, machine.id, 'cursor-chat-store-status', { workspacePath: directory, cursorSessionId: resumeSessionId, homeDir: str(md?.homeDir) })
      .catch(() => null);
    // A failed probe does not stop the resume (HAPI tries anyway); a clear "not on disk" does.
    if (status && typeof status === 'object' && (status as { onDisk?: unknown }).onDisk === false) {
      return { type: 'error', code: 'resume_unavailable', message: 'Cursor chat data is no longer available on the recorded machine' };
    }
  }
  const preferred = str(md?.preferredPermissionMode);
  const permissionMode = preferred === 'yolo' && opts.permissionMode === 'default' ? preferred : (opts.permissionMode ?? session.permissionMode ?? preferred);
  const spawnOpts = {
    directory,
    agent: flavor,
    model: session.model,
    modelReasoningEffort: session.modelReasoningEffort,
    resumeSessionId,
    effort: session.effort,
    permissionMode,
    serviceTier: session.serviceTier,
    existingSessionId: session.id,
    collaborationMode: session.collaborationMode,
    copilotAgentMode: session.copilotAgentMode,
  } as SpawnOptions;
  const spawned = await spawnOnMachine(deps, deps.live, ctx, machine.id, spawnOpts);
  if (spawned.type !== 'success' || typeof spawned.sessionId !== 'string') {
    return { type: 'error', code: 'resume_failed', message: String(spawned.message ?? 'Failed to spawn session') };
  }
  const alive = await waitForActive(deps, ctx, spawned.sessionId, true, deps.cfg.sessionTransitionWaitMs);
  if (!alive) return { type: 'error', code: 'resume_failed', message: 'Session failed to become active' };
  ctx.log.info({ sessionId: session.id, machineId: machine.id }, 'session resumed');
  return { type: 'success', sessionId: spawned.sessionId };
}

const ARCHIVE_KEYS = ['lifecycleState', 'archivedBy', 'archiveReason', 'lifecycleStateSince'] as const;

/**
 * `POST /api/sessions/:id/resume` brings an inactive session back (an active one answers at once);
 * `POST /api/sessions/:id/reopen` first clears an archived session's archive marks, resumes it,
 * and puts the marks back if the resume fails. Errors are HAPI's `{error, code}`: 503
 * no_machine_online, 409 resume_unavailable, 500 resume_failed.
 */
export function registerSessionResumeRoutes(app: FastifyInstance, deps: LiveRouteDeps): void {
  withLenientJson(app, (scoped) => {
    scoped.post<IdParams>('/api/sessions/:id/resume', async (request, reply) => {
      const { ctx, session } = await requireWebSession(request, deps, request.params.id);
      const raw = jsonBodyOrNull(request);
      const parsed = raw ? ResumeBody.safeParse(raw) : { success: true as const, data: {} };
      if (!parsed.success) return reply.code(400).send({ error: 'Invalid body' });
      const { permissionMode } = parsed.data;
      if (permissionMode !== undefined && !isPermissionModeAllowed(permissionMode, flavorOf(session))) {
        return reply.code(400).send({ error: 'Invalid permission mode for session flavor' });
      }
      const outcome = await resumeSession(deps, ctx, session, { permissionMode });
      if (outcome.type === 'error') return sendResumeError(reply, outcome);
      return { type: 'success', sessionId: outcome.sessionId };
    });
  });

  app.post<IdParams>('/api/sessions/:id/reopen', async (request, reply) => {
    const { ctx, session } = await requireWebSession(request, deps, request.params.id);
    const md = metadataOf(session);
    if (isOpencodeClearSource(md)) return sendResumeError(reply, { code: 'resume_unavailable', message: 'This OpenCode session was replaced by /clear' });
    if (session.active) return { ok: true, sessionId: session.id, resumed: false };
    if (md?.lifecycleState !== 'archived') {
      const outcome = await resumeSession(deps, ctx, session);
      if (outcome.type === 'error') return sendResumeError(reply, outcome);
      return { ok: true, sessionId: outcome.sessionId, resumed: true };
    }
    if (md.flavor === 'cursor' && !str(md.cursorSessionId) && session.hasConversationContent) {
      return reply.code(422).send({ error: 'Cursor session id is missing from metadata; reopen requires the original cursor chat id', missing: ['cursorSessionId'] });
    }
    const snapshot = Object.fromEntries(ARCHIVE_KEYS.map((k) => [k, md[k]]));
    let cursorSessionProtocol: string | undefined;
    let reopened: Session;
    try {
      reopened = await updateMetadataWith(deps, ctx, session.id, (current) => {
        if (!current) return null;
        const next = { ...current };
        for (const k of ARCHIVE_KEYS) delete next[k];
        next.lifecycleStateSince = Date.now();
        cursorSessionProtocol = undefined;
        if (current.flavor === 'cursor') {
          const existing = current.cursorSessionProtocol;
          if (existing === 'acp' || existing === 'stream-json') cursorSessionProtocol = existing;
          else if (str(current.cursorSessionId)) cursorSessionProtocol = next.cursorSessionProtocol = 'stream-json';
        }
        return next;
      });
    } catch (err) {
      if (!isAppError(err, 'conflict')) throw err;
      return sendResumeError(reply, { code: 'metadata_conflict', message: err.message });
    }
    const outcome = await resumeSession(deps, ctx, reopened);
    if (outcome.type === 'error') {
      // Put the archive marks back, unless the session came alive meanwhile.
      await updateMetadataWith(deps, ctx, session.id, (current, s) => {
        if (!current || s.active) return null;
        const next = { ...current };
        for (const k of ARCHIVE_KEYS) {
          if (snapshot[k] === undefined) delete next[k];
          else next[k] = snapshot[k];
        }
        return next;
      }).catch((err: unknown) => ctx.log.warn({ err, sessionId: session.id }, 'archive marks not restored after a failed reopen'));
      return sendResumeError(reply, outcome);
    }
    return { ok: true, sessionId: outcome.sessionId, resumed: true, ...(cursorSessionProtocol ? { cursorSessionProtocol } : {}) };
  });
}
