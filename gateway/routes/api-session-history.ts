import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { AppError, isAppError } from '../../lib/errors.js';
import type { CallContext } from '../../lib/context.js';
import type { Session } from '../../lib/gen/teamhub/session/v1/session.js';
import { ForkBody, knownFlavor, RewindBody } from '../hapi/session-rules.js';
import { jsonBodyOrNull, jsonBodyText, withLenientJson } from '../http/lenient-json.js';
import { requireActive, requireWebSession } from './api-sessions-guard.js';
import { resumeSession, sendResumeError } from './api-session-resume.js';
import { isRpcTargetMissing, spawnOnMachine, type SpawnOptions } from './machine-spawn.js';
import type { LiveRouteDeps } from './route-deps.js';
import { capabilitiesOf, controlledByUser, isShared, metadataOf, str, updateMetadataWith, type Metadata } from './session-metadata.js';
import { callSession, rpcFailureText, RPC_TIMEOUT } from './session-rpc.js';

type IdParams = { Params: { id: string } };
type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** How long a shared runtime's child session has to appear after the CLI named it (HAPI: 5 s). */
const SHARED_CHILD_WAIT_MS = 5_000;
/** History markers in metadata, keyed by the local id of the user message they belong to. */
const HISTORY_MAPS = ['conversationHistoryPoints', 'conversationHistoryIndexes', 'conversationHistoryTurns', 'conversationHistoryEntryIds'] as const;

/** HAPI refuses a history action with 409 and the reason (a rewind's body adds `hydrateFailed`). */
const refusedWith = (message: string) => new AppError('failed_precondition', message);

function historySupport(s: Session): Json {
  const h = capabilitiesOf(s).conversationHistory;
  return isObject(h) ? h : {};
}

/**
 * HAPI's preconditions of a fork or rewind: a live remote session that is not mid-turn, whose
 * history has not diverged and has no queued message. Answers the state for the boundary check.
 */
async function assertHistoryIdle(deps: LiveRouteDeps, ctx: CallContext, s: Session, boundaryLocalId?: string) {
  if (!s.active) throw refusedWith('Session must be active');
  if (controlledByUser(s) && !isShared(s)) throw refusedWith('Conversation history actions require a remote session');
  if (s.thinking) throw refusedWith('Session is busy');
  if (metadataOf(s)?.conversationHistoryDiverged === true) throw refusedWith('Conversation history is diverged; refuse further fork/rewind');
  const state = await deps.clients.session.call('checkHistory', { sessionId: s.id, boundaryLocalId }, ctx);
  if (state.queuedMessages > 0) throw refusedWith('Session has queued messages');
  return state;
}

/** The session a shared runtime (one process, several sessions) says it made, once it shows up. */
async function sharedChild(deps: LiveRouteDeps, ctx: CallContext, source: Session, id: unknown, nativeId?: string): Promise<Session | null> {
  if (!isShared(source) || typeof id !== 'string' || id === source.id) return null;
  const sourceMd = metadataOf(source) ?? {};
  const deadline = Date.now() + SHARED_CHILD_WAIT_MS;
  for (;;) {
    const child = await deps.clients.session.call('getSession', { id }, ctx).then((r) => r.session ?? null, () => null);
    const md = child ? metadataOf(child) : null;
    const caps = child ? capabilitiesOf(child) : {};
    if (child && md && md.machineId === sourceMd.machineId && md.hostPid === sourceMd.hostPid && caps.concurrentClients === true && str(md.codexSessionId) && (!nativeId || md.codexSessionId === nativeId)) {
      return child;
    }
    if (Date.now() >= deadline) return null;
    await new Promise((r) => setTimeout(r, 50));
  }
}

function markDiverged(deps: LiveRouteDeps, ctx: CallContext, id: string): Promise<unknown> {
  return updateMetadataWith(deps, ctx, id, (md) => (!md || md.conversationHistoryDiverged === true ? null : { ...md, conversationHistoryDiverged: true })).catch((err: unknown) =>
    ctx.log.warn({ err, sessionId: id }, 'history not marked diverged'),
  );
}

/** The child's metadata: where and what it runs, marked as forked, with the copied messages' history markers. */
function childMetadata(source: Session, md: Metadata, flavor: string, nativeSessionId: string, forkSession: boolean, copied: Set<string>): Metadata {
  const sourceTitle = (typeof md.name === 'string' && md.name.trim()) || (isObject(md.summary) && typeof md.summary.text === 'string' && md.summary.text.trim());
  const child: Metadata = {
    path: md.path,
    host: str(md.host) ?? 'unknown',
    machineId: md.machineId,
    flavor,
    ...(sourceTitle ? { summary: { text: `Fork: ${sourceTitle}`, updatedAt: Date.now() } } : {}),
    forkedFrom: source.id,
    startedBy: 'runner',
    capabilities: md.capabilities,
  };
  for (const key of HISTORY_MAPS) {
    const map = isObject(md[key]) ? md[key] : {};
    child[key] = Object.fromEntries(Object.entries(map).filter(([localId]) => copied.has(localId)));
  }
  const nativeKey = { codex: 'codexSessionId', grok: 'grokSessionId', pi: 'piSessionId', claude: 'claudeSessionId' }[flavor];
  if (nativeKey && !(flavor === 'claude' && forkSession)) child[nativeKey] = nativeSessionId;
  return child;
}

/**
 * Conversation history of a live session: fork (now, or at an invoked message: the CLI forks
 * natively, the hub makes the child session, copies the transcript and spawns the child on the
 * same machine), rewind (the CLI rewinds, the hub drops the later messages and tells the web with
 * `messages-invalidated`), and clear of a shared session (a new child conversation).
 */
export function registerSessionHistoryRoutes(app: FastifyInstance, deps: LiveRouteDeps): void {
  /** One history action per session at a time on this gateway (HAPI's in-flight guard). */
  const inFlight = new Set<string>();
  const exclusive = async <T>(id: string, fn: () => Promise<T>): Promise<T> => {
    if (inFlight.has(id)) throw refusedWith('Conversation history action already in progress');
    inFlight.add(id);
    try {
      return await fn();
    } finally {
      inFlight.delete(id);
    }
  };

  const fork = async (ctx: CallContext, source: Session, messageLocalId: string | undefined): Promise<string> => {
    const state = await assertHistoryIdle(deps, ctx, source, messageLocalId);
    const history = historySupport(source);
    if (messageLocalId) {
      if (history.forkAtMessage !== true) throw refusedWith('Historical fork is not supported for this session');
      if (!state.boundaryInvoked) throw refusedWith('History boundary message not found or not yet invoked');
    } else if (history.forkCurrent !== true) {
      throw refusedWith('Fork current is not supported for this session');
    }
    const md = metadataOf(source) ?? {};
    const machineId = str(md.machineId);
    const directory = str(md.path);
    if (!machineId || !directory) throw refusedWith('Session is missing machine or path metadata');
    let ack: unknown;
    try {
      ack = await callSession(deps.live, ctx, source.id, 'fork-conversation', messageLocalId ? { messageLocalId } : {}, RPC_TIMEOUT.history);
    } catch (err) {
      throw refusedWith(rpcFailureText(err, source.id, 'fork-conversation'));
    }
    const result = isObject(ack) ? ack : {};
    const nativeSessionId = str(result.nativeSessionId);
    if (!nativeSessionId) throw refusedWith('Native fork did not return a session id');
    if (result.sessionId !== undefined) {
      const child = await sharedChild(deps, ctx, source, result.sessionId, nativeSessionId);
      if (!child || metadataOf(child)?.forkedFrom !== source.id) throw refusedWith('Invalid shared-runtime fork binding');
      return child.id;
    }
    const latest = (await deps.clients.session.call('getSession', { id: source.id }, ctx)).session ?? source;
    const latestMd = metadataOf(latest) ?? md;
    const flavor = knownFlavor(latestMd.flavor);
    const forkSession = result.forkSession === true;
    const childId = randomUUID();
    const model = flavor === 'pi' ? undefined : latest.model;
    const effort = flavor === 'pi' ? undefined : latest.effort;
    await deps.clients.session.call(
      'createOrLoadSession',
      { id: childId, tag: `fork:${childId}`, metadataJson: JSON.stringify(childMetadata(latest, latestMd, flavor, nativeSessionId, forkSession, new Set())), model, effort, modelReasoningEffort: latest.modelReasoningEffort },
      ctx,
    );
    let spawnAttempted = false;
    try {
      const copied = await deps.clients.session.call('copyMessages', { fromSessionId: source.id, toSessionId: childId, beforeLocalId: messageLocalId }, ctx);
      if (copied.localIds.length > 0) {
        const markers = childMetadata(latest, latestMd, flavor, nativeSessionId, forkSession, new Set(copied.localIds));
        await updateMetadataWith(deps, ctx, childId, (current) => (current ? { ...current, ...Object.fromEntries(HISTORY_MAPS.map((k) => [k, markers[k]])) } : null));
      }
      spawnAttempted = true;
      const opts = {
        directory,
        agent: flavor,
        model,
        modelReasoningEffort: latest.modelReasoningEffort,
        sessionType: 'simple',
        resumeSessionId: nativeSessionId,
        effort,
        permissionMode: latest.permissionMode,
        serviceTier: latest.serviceTier,
        existingSessionId: childId,
        collaborationMode: latest.collaborationMode,
        forkSession,
      } as SpawnOptions;
      const spawned = await spawnOnMachine(deps, deps.live, ctx, machineId, opts);
      if (spawned.type !== 'success') throw refusedWith(String(spawned.message ?? 'Failed to spawn session'));
      ctx.log.info({ sessionId: source.id, childId }, 'session forked');
      return childId;
    } catch (err) {
      await cleanupChild(ctx, childId, machineId, spawnAttempted);
      throw err;
    }
  };

  /** A fork whose child could not start: the runner stops it (if it was asked to start it) and it is deleted. */
  const cleanupChild = async (ctx: CallContext, childId: string, machineId: string, spawnAttempted: boolean) => {
    if (spawnAttempted) {
      const stop = await deps.live.rpcCall(ctx.namespace, machineId, 'stop-session', { sessionId: childId }).catch((err: unknown) => (isRpcTargetMissing(err) ? { status: 'already_gone' } : null));
      if (!isObject(stop) || stop.status === 'still_alive') throw refusedWith('Fork failed; child cleanup was not confirmed: Fork child termination was not confirmed');
    }
    const child = await deps.clients.session.call('getSession', { id: childId }, ctx).then((r) => r.session, () => undefined);
    if (child?.active) await deps.clients.session.call('endSession', { id: childId, at: Date.now(), reason: 'error' }, ctx);
    await deps.clients.session.call('deleteSession', { id: childId }, ctx).catch((err: unknown) => ctx.log.warn({ err, childId }, 'failed fork child not deleted'));
  };

  const refused = (reply: FastifyReply, err: unknown, extra: Json = {}) => {
    if (isAppError(err, 'failed_precondition') && err.details.hapiCode === undefined) return reply.code(409).send({ error: err.message, ...extra });
    throw err;
  };

  withLenientJson(app, (scoped) => {
    scoped.post<IdParams>('/api/sessions/:id/fork', async (request, reply) => {
      const { ctx, session } = await requireWebSession(request, deps, request.params.id);
      requireActive(session);
      const raw = jsonBodyText(request);
      if (raw.kind === 'bad') return reply.code(400).send({ error: 'Invalid JSON body' });
      const body = ForkBody.safeParse(raw.kind === 'empty' ? {} : raw.value);
      if (!body.success) return reply.code(400).send({ error: 'Invalid body' });
      try {
        return { sessionId: await exclusive(session.id, () => fork(ctx, session, body.data.messageLocalId)) };
      } catch (err) {
        return refused(reply, err);
      }
    });

    scoped.post<IdParams>('/api/sessions/:id/rewind', async (request, reply) => {
      const { ctx, session } = await requireWebSession(request, deps, request.params.id);
      requireActive(session);
      const body = RewindBody.safeParse(jsonBodyOrNull(request));
      if (!body.success) return reply.code(400).send({ error: 'Invalid body' });
      const localId = body.data.messageLocalId;
      const failed = (error: string) => reply.code(500).send({ error, hydrateFailed: true });
      try {
        return await exclusive(session.id, async () => {
          const state = await assertHistoryIdle(deps, ctx, session, localId);
          if (historySupport(session).rewindToMessage !== true) throw refusedWith('Rewind is not supported for this session');
          if (!state.boundaryInvoked) throw refusedWith('History boundary message not found or not yet invoked');
          let ack: unknown;
          try {
            ack = await callSession(deps.live, ctx, session.id, 'rewind-conversation', { messageLocalId: localId }, RPC_TIMEOUT.history);
          } catch (err) {
            if (isRpcTargetMissing(err)) throw refusedWith(rpcFailureText(err, session.id, 'rewind-conversation'));
            // The CLI may or may not have rewound: the hub's copy can no longer be trusted.
            await markDiverged(deps, ctx, session.id);
            return failed('Rewind outcome is unknown; session history requires reconciliation');
          }
          const result = isObject(ack) ? ack : {};
          if (result.success !== true) {
            const code = result.success === false && typeof result.code === 'string' ? { code: result.code } : {};
            return reply.code(409).send({ error: typeof result.error === 'string' ? result.error : 'Native rewind failed', ...code, hydrateFailed: false });
          }
          const replacements = (Array.isArray(result.messages) ? result.messages : []).filter(isObject).map((m) => ({
            contentJson: JSON.stringify(m.content ?? null),
            createdAt: typeof m.createdAt === 'number' ? m.createdAt : undefined,
            localId: typeof m.localId === 'string' ? m.localId : undefined,
            invokedAt: typeof m.invokedAt === 'number' ? m.invokedAt : undefined,
          }));
          const from = str(result.truncateFromLocalId) ?? localId;
          try {
            await deps.clients.session.call('truncateMessages', { sessionId: session.id, fromLocalId: from, replacements, reason: 'rewind' }, ctx);
          } catch (err) {
            await markDiverged(deps, ctx, session.id);
            return failed(isAppError(err) && err.code !== 'internal' ? err.message : 'Rewind could not be applied to the stored history');
          }
          ctx.log.info({ sessionId: session.id }, 'session rewound');
          return { success: true };
        });
      } catch (err) {
        return refused(reply, err, { hydrateFailed: false });
      }
    });
  });

  app.post<IdParams>('/api/sessions/:id/clear', async (request, reply) => {
    const { ctx, session } = await requireWebSession(request, deps, request.params.id);
    if (!isShared(session)) return reply.code(409).send({ error: 'Shared session required' });
    let source = session;
    if (!session.active) {
      const resumed = await resumeSession(deps, ctx, session, { permissionMode: session.permissionMode });
      if (resumed.type === 'error') return sendResumeError(reply, resumed);
      source = (await deps.clients.session.call('getSession', { id: resumed.sessionId }, ctx)).session ?? session;
    }
    if (!source.active || !isShared(source)) throw new AppError('internal', 'Clear requires an active shared session');
    const ack = await callSession(deps.live, ctx, source.id, 'clear-conversation', {}, RPC_TIMEOUT.history);
    const child = await sharedChild(deps, ctx, source, isObject(ack) ? ack.sessionId : undefined);
    if (!child) throw new AppError('internal', 'Invalid shared-runtime clear binding');
    ctx.log.info({ sessionId: source.id, childId: child.id }, 'shared session cleared');
    return { sessionId: child.id };
  });
}
