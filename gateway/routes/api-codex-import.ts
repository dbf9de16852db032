import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { CallContext } from '../../lib/context.js';
import { DEFAULT_NAMESPACE } from '../../lib/namespace.js';
import type { Machine } from '../../lib/gen/teamhub/machine/v1/machine.js';
import { ArchiveCodexSessionAnswer, codexSessionMetadata, comparableContent, IMPORT_TEXTS, ListCodexSessionsAnswer, type CodexTranscript } from '../hapi/transcript-imports.js';
import { requireWebCall } from '../http/web-auth.js';
import type { LiveRouteDeps } from './route-deps.js';
import { allMessages, appendImported, askMachine, importMachine, machineLabel, namespaceSessions, parseJsonObject, updateMetadata } from './transcript-import.js';

/** This hub host has no Codex Desktop app (teamhub never runs a desktop app or its scripts). */
const DESKTOP = { codexDesktopRunning: false, codexClientAvailable: false } as const;
/** HAPI reports its import workspace (a folder on the hub host); teamhub imports over the runner and names none. */
const WORKSPACE = '';

const asRecord = (v: unknown): Record<string, unknown> | null => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null);
const trimmed = (v: unknown): string | null => (typeof v === 'string' && v.trim() ? v.trim() : null);

interface SyncRequest {
  sessionIds: string[];
  error?: string;
  cwd?: string | null;
  machineId?: string | null;
  model?: string | null;
  modelReasoningEffort?: string | null;
  yolo?: boolean;
}

/** HAPI's `parseSyncSessionRequest`. */
function parseSyncRequest(body: unknown): SyncRequest {
  const b = asRecord(body);
  if (!b || !('sessionIds' in b)) return { sessionIds: [] };
  if (!Array.isArray(b.sessionIds) || b.sessionIds.some((v) => typeof v !== 'string')) return { sessionIds: [], error: 'Invalid sessionIds' };
  const ids = (b.sessionIds as string[]).map((v) => v.trim()).filter(Boolean);
  if ('serviceTier' in b && b.serviceTier !== null && b.serviceTier !== 'fast' && b.serviceTier !== 'standard') return { sessionIds: [], error: 'Invalid serviceTier' };
  if ('collaborationMode' in b && b.collaborationMode !== 'default' && b.collaborationMode !== 'plan') return { sessionIds: [], error: 'Invalid collaborationMode' };
  return {
    sessionIds: [...new Set(ids)],
    cwd: trimmed(b.cwd),
    machineId: trimmed(b.machineId),
    model: 'model' in b ? trimmed(b.model) : undefined,
    modelReasoningEffort: 'modelReasoningEffort' in b ? trimmed(b.modelReasoningEffort) : undefined,
    yolo: b.yolo === true,
  };
}

/** The sessions of the namespace that imported `codexId`, newest first (archived ones are not reused). */
async function importedSessions(deps: LiveRouteDeps, ctx: CallContext, codexIds: Set<string>) {
  const out: Array<{ id: string; active: boolean; updatedAt: number; metadata: Record<string, unknown>; codexIds: string[] }> = [];
  for (const s of await namespaceSessions(deps, ctx)) {
    const metadata = parseJsonObject(s.metadataJson) ?? {};
    if (metadata.lifecycleState === 'archived' || metadata.lifecycleState === 'deleted') continue;
    const ids = [...new Set([metadata.codexSessionId, metadata.codexSourceSessionId].filter((v): v is string => typeof v === 'string' && v.length > 0))].filter((id) => codexIds.has(id));
    if (ids.length > 0) out.push({ id: s.id, active: s.active, updatedAt: s.updatedAt, metadata, codexIds: ids });
  }
  return out.sort((a, b) => b.updatedAt - a.updatedAt);
}

/**
 * HAPI's Codex thread import. HAPI allows it in its default namespace only (the hub owner's own
 * Codex history), and so does teamhub: every other namespace gets HAPI's 403. The threads are read
 * from a runner of the namespace (RPC `listCodexSessions`, `archiveCodexSession`) and imported into
 * a session of the namespace: a thread already imported gets only its new messages. There is no
 * Codex Desktop app on a teamhub host, so status and restart answer as HAPI does without one.
 */
export function registerCodexImportRoutes(app: FastifyInstance, deps: LiveRouteDeps): void {
  const codexCall = async (request: FastifyRequest, reply: FastifyReply): Promise<CallContext | null> => {
    const { ctx } = await requireWebCall(request, deps);
    if (ctx.namespace !== DEFAULT_NAMESPACE) {
      void reply.code(403).send({ success: false, error: IMPORT_TEXTS.codexNamespace });
      return null;
    }
    return ctx;
  };

  /** The threads of an online machine of the namespace, or HAPI's error text. */
  async function listThreads(ctx: CallContext, machineId: string | null, cwd: string | null, sessionIds?: string[]): Promise<{ machine: Machine | null; sessions: unknown[]; error?: string }> {
    const machine = await importMachine(deps, ctx, machineId, cwd);
    if (!machine) return { machine: null, sessions: [], error: IMPORT_TEXTS.codexNoMachine };
    const params = sessionIds ? { cwd, sessionIds } : { cwd };
    const answer = ListCodexSessionsAnswer.safeParse(await askMachine(deps, ctx, machine.id, 'listCodexSessions', params));
    if (!answer.success) return { machine, sessions: [], error: 'Unexpected Codex sessions RPC response' };
    if (!answer.data.success) return { machine, sessions: [], error: answer.data.error || 'Failed to list local Codex sessions' };
    const sessions = sessionIds?.length ? answer.data.sessions.filter((s) => 'messages' in s) : answer.data.sessions;
    return { machine, sessions };
  }

  /** One thread into a session: the one that imported it before (when its messages are a prefix), else a new one. */
  async function importThread(ctx: CallContext, t: CodexTranscript, machine: Machine, req: SyncRequest) {
    const comparable = t.messages.map(comparableContent);
    let target: { id: string; active: boolean; metadata: Record<string, unknown>; prefix: number } | null = null;
    for (const c of await importedSessions(deps, ctx, new Set([t.id]))) {
      if (typeof c.metadata.machineId === 'string' && c.metadata.machineId !== machine.id) continue;
      const stored = (await allMessages(deps, ctx, c.id)).map((m) => comparableContent(JSON.parse(m.contentJson)));
      if (stored.length > comparable.length || stored.some((s, i) => s !== comparable[i])) continue;
      if (!target || stored.length > target.prefix) target = { id: c.id, active: c.active, metadata: c.metadata, prefix: stored.length };
    }
    const label = machineLabel(machine);
    let sessionId: string;
    const created = target === null;
    if (!target) {
      const res = await deps.clients.session.call(
        'createOrLoadSession',
        { tag: randomUUID(), metadataJson: JSON.stringify(codexSessionMetadata(t, null, label, req.yolo === true)), agentStateJson: '{}', model: req.model ?? undefined, modelReasoningEffort: req.modelReasoningEffort ?? undefined },
        ctx,
      );
      sessionId = res.session!.id;
    } else {
      sessionId = target.id;
      await updateMetadata(deps, ctx, sessionId, (m) => codexSessionMetadata(t, m, label, req.yolo === true));
    }
    const toAppend = t.messages.slice(target?.prefix ?? 0);
    if (target?.active && toAppend.length > 0) throw new Error('当前会话正在运行且 Codex transcript 有新消息，停止或归档后再同步，避免消息顺序错乱');
    const appended = await appendImported(deps, ctx, sessionId, toAppend.map((content) => ({ content })));
    ctx.log.info({ sessionId, created, appended: appended.length }, 'codex thread imported');
    return { sessionId, output: [`Codex thread: ${t.id}`, `Hapi session: ${sessionId}`, `Action: ${created ? 'created' : 'updated'}`, `Appended messages: ${appended.length}`].join('\n') };
  }

  app.get('/api/codex/status', async (request, reply) => {
    if (!(await codexCall(request, reply))) return reply;
    return { success: true, ...DESKTOP };
  });

  app.get('/api/codex/sessions', async (request, reply) => {
    const ctx = await codexCall(request, reply);
    if (!ctx) return reply;
    const q = (request.query ?? {}) as Record<string, unknown>;
    const listed = await listThreads(ctx, trimmed(q.machineId), trimmed(q.cwd));
    const machine = listed.machine ? { machineId: listed.machine.id } : {};
    if (listed.error) return reply.code(503).send({ success: false, error: listed.error, sessions: [], ...machine });
    return { success: true, sessions: listed.sessions.map((s) => ({ ...(s as Record<string, unknown>), messages: undefined })), ...machine };
  });

  app.post('/api/codex/archive-session', async (request, reply) => {
    const ctx = await codexCall(request, reply);
    if (!ctx) return reply;
    const body = asRecord(request.body);
    const sessionId = typeof body?.sessionId === 'string' ? body.sessionId.trim() : '';
    if (!sessionId) return reply.code(400).send({ success: false, error: 'sessionId is required' });
    const machine = await importMachine(deps, ctx, typeof body?.machineId === 'string' ? body.machineId.trim() : null, null);
    if (!machine) return reply.code(503).send({ success: false, error: IMPORT_TEXTS.codexNoMachineArchive });
    const answer = ArchiveCodexSessionAnswer.safeParse(await askMachine(deps, ctx, machine.id, 'archiveCodexSession', { sessionId }));
    if (!answer.success) return reply.code(500).send({ success: false, error: 'Unexpected Codex archive RPC response', machineId: machine.id });
    if (!answer.data.success) return reply.code(500).send({ success: false, error: answer.data.error || 'Failed to archive Codex session', machineId: machine.id });
    return { success: true, archivedPath: answer.data.archivedPath, machineId: machine.id };
  });

  app.post('/api/codex/sync-session', async (request, reply) => {
    const ctx = await codexCall(request, reply);
    if (!ctx) return reply;
    const req = parseSyncRequest(request.body);
    if (req.error) return { success: false, error: req.error, cwd: WORKSPACE, ...DESKTOP };
    const listed = await listThreads(ctx, req.machineId ?? null, req.cwd ?? null, req.sessionIds);
    if (listed.error || !listed.machine) return { success: false, error: listed.error, cwd: WORKSPACE, ...DESKTOP };
    const failure = (error: string, synced: number, output?: string) => ({ success: false, error, cwd: WORKSPACE, sessionIds: req.sessionIds, syncedCount: synced, ...(output ? { output } : {}), ...DESKTOP });
    if (req.sessionIds.length === 0) return failure(IMPORT_TEXTS.codexNoneSelected, 0);
    const byId = new Map((listed.sessions as CodexTranscript[]).map((s) => [s.id, s]));
    const outputs: string[] = [];
    const hapiSessionIds: string[] = [];
    for (const id of req.sessionIds) {
      const t = byId.get(id);
      if (!t) return failure(`Transcript not found for Codex session: ${id}`, outputs.length, `未找到对应的本地 transcript：${id}`);
      if (t.messages.length === 0) return failure(`No importable conversation content found in transcript: ${t.file}`, outputs.length, `transcript 中没有可导入的会话内容：${t.file}`);
      try {
        const r = await importThread(ctx, t, listed.machine, req);
        outputs.push(r.output);
        hapiSessionIds.push(r.sessionId);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        return failure(message, outputs.length, `Codex thread: ${id}\n${message}`);
      }
    }
    return {
      success: true,
      message: `Imported ${outputs.length} Codex session(s) into Hapi`,
      pid: 0,
      command: 'direct-import',
      cwd: WORKSPACE,
      output: outputs.map((o, i) => `[${i + 1}] ${o}`).join('\n\n'),
      sessionIds: req.sessionIds,
      hapiSessionIds,
      syncedCount: outputs.length,
      ...DESKTOP,
    };
  });

  app.post('/api/codex/duplicate-sessions', async (request, reply) => {
    const ctx = await codexCall(request, reply);
    if (!ctx) return reply;
    const req = parseSyncRequest(request.body);
    if (req.error) return { success: false, error: req.error };
    if (req.sessionIds.length === 0) return { success: false, error: IMPORT_TEXTS.codexNoneSelected };
    const groups = new Map<string, string[]>();
    for (const s of await importedSessions(deps, ctx, new Set(req.sessionIds))) for (const id of s.codexIds) groups.set(id, [...(groups.get(id) ?? []), s.id]);
    return { success: true, duplicates: [...groups].filter(([, ids]) => ids.length > 1).map(([codexSessionId, hapiSessionIds]) => ({ codexSessionId, hapiSessionIds })) };
  });

  // teamhub's import reuses the session that imported a thread, so it makes no duplicates to merge;
  // duplicates made elsewhere (two sessions naming one thread) are listed above but not merged here.
  app.post('/api/codex/merge-duplicate-sessions', async (request, reply) => {
    const ctx = await codexCall(request, reply);
    if (!ctx) return reply;
    const req = parseSyncRequest(request.body);
    if (req.error) return { success: false, error: req.error };
    if (req.sessionIds.length === 0) return { success: false, error: IMPORT_TEXTS.codexNoneSelected };
    const groups = new Map<string, number>();
    for (const s of await importedSessions(deps, ctx, new Set(req.sessionIds))) for (const id of s.codexIds) groups.set(id, (groups.get(id) ?? 0) + 1);
    if ([...groups.values()].some((n) => n > 1)) return { success: false, error: 'Merging duplicate imported sessions is not supported by teamhub' };
    return { success: true, merged: [], mergedCount: 0 };
  });

  app.post('/api/codex/restart-desktop', async (request, reply) => {
    if (!(await codexCall(request, reply))) return reply;
    return { success: false, error: IMPORT_TEXTS.codexDesktopMissing, script: '', cwd: WORKSPACE, ...DESKTOP };
  });
}
