import { isDeepStrictEqual } from 'node:util';
import type { FastifyInstance } from 'fastify';
import type { CallContext } from '../../lib/context.js';
import type { Machine } from '../../lib/gen/teamhub/machine/v1/machine.js';
import type { Session } from '../../lib/gen/teamhub/session/v1/session.js';
import { IMPORT_TEXTS, ListPiSessionsAnswer, piSessionMetadata, type PiImportState, type PiTranscript } from '../hapi/transcript-imports.js';
import { requireWebCall } from '../http/web-auth.js';
import type { LiveRouteDeps } from './route-deps.js';
import { allMessages, appendImported, askMachine, importMachine, machineLabel, namespaceSessions, parseJsonObject, updateMetadata } from './transcript-import.js';

const asRecord = (v: unknown): Record<string, unknown> | null => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null);
const trimmed = (v: unknown): string | null => (typeof v === 'string' && v.trim() ? v.trim() : null);

type ImportResult = { piSessionId: string; hapiSessionId?: string; action?: 'created' | 'updated' | 'unchanged'; appended?: number; error?: { code: string; message: string } };

/** The namespace's sessions imported from the machine's Pi sessions, by Pi session id (first wins). */
function importedByPiId(sessions: Session[], machineId: string): Map<string, Session> {
  const out = new Map<string, Session>();
  for (const s of sessions) {
    const m = parseJsonObject(s.metadataJson);
    if (m?.flavor !== 'pi' || m.machineId !== machineId || typeof m.piSessionId !== 'string' || out.has(m.piSessionId)) continue;
    out.set(m.piSessionId, s);
  }
  return out;
}

/** Which transcript messages are new since the last import, or why the transcript no longer fits it. */
function importDelta(existing: Array<{ localId: string | null; content: unknown }>, t: PiTranscript, observedLeaf: string | null): { messages: PiTranscript['messages']; error?: string } {
  const index = new Map(t.messages.map((m, i) => [m.localId, i]));
  const stored = existing.filter((m) => m.localId?.startsWith(`pi:${t.id}:`));
  let prior = -1;
  for (const m of stored) {
    const i = index.get(m.localId!);
    if (i === undefined || i <= prior) return { messages: [], error: 'Local Pi transcript no longer extends the previously imported history' };
    prior = i;
  }
  const source = new Map(t.messages.map((m) => [m.localId, m.content]));
  const changed = stored.find((m) => !isDeepStrictEqual(source.get(m.localId!), m.content));
  if (changed?.localId) return { messages: [], error: `Local Pi transcript changed imported entry ${changed.localId}` };
  if (!observedLeaf) {
    const imported = new Set(stored.map((m) => m.localId));
    return { messages: t.messages.filter((m) => !imported.has(m.localId)) };
  }
  const leaf = t.activeEntryIds.indexOf(observedLeaf);
  if (leaf === -1) return { messages: [], error: 'The active Pi branch no longer contains the last imported entry' };
  const fresh = new Set(t.activeEntryIds.slice(leaf + 1));
  return { messages: t.messages.filter((m) => fresh.has(m.entryId)) };
}

/**
 * HAPI's Pi history import in the caller's namespace (it works in every namespace): the local Pi
 * sessions of an online machine of the namespace (RPC `listPiSessions`), annotated with the
 * sessions already imported from them, and the import of chosen ones into sessions of the
 * namespace (new messages only; a transcript that diverged from what was imported is refused).
 * Another namespace's machine is not online here: 503, and its runner is never asked.
 */
export function registerPiImportRoutes(app: FastifyInstance, deps: LiveRouteDeps): void {
  async function importOne(ctx: CallContext, machine: Machine, t: PiTranscript, existing: Session | null): Promise<ImportResult> {
    const label = machineLabel(machine);
    const startedAt = Date.now();
    const state = (s: PiImportState['state'], error?: string): PiImportState => ({ state: s, machineId: machine.id, piSessionId: t.id, sourceFile: t.file, startedAt, updatedAt: Date.now(), leafEntryId: t.leafEntryId ?? null, ...(error ? { error } : {}) });
    let session = existing;
    const created = !session;
    if (!session) {
      const res = await deps.clients.session.call(
        'createOrLoadSession',
        { tag: `pi-import:${machine.id}:${t.id}`, metadataJson: JSON.stringify(piSessionMetadata(t, label, {}, state('importing'))), agentStateJson: '{}', model: t.model ?? undefined, effort: t.thinkingLevel ?? undefined },
        ctx,
      );
      session = res.session!;
    } else {
      await updateMetadata(deps, ctx, session.id, (m) => piSessionMetadata(t, label, m, state('importing')));
    }
    const sid = session.id;
    const fail = async (s: 'failed' | 'diverged', code: string, message: string): Promise<ImportResult> => {
      await updateMetadata(deps, ctx, sid, (m) => ({ ...m, piImportState: state(s, message) })).catch(() => undefined);
      return { piSessionId: t.id, hapiSessionId: sid, error: { code, message } };
    };
    const current = (await deps.clients.session.call('getSession', { id: sid }, ctx)).session!;
    const observedLeaf = trimmed(parseJsonObject(current.metadataJson)?.piHistoryLeafEntryId);
    const stored = (await allMessages(deps, ctx, sid)).map((m) => ({ localId: m.localId ?? null, content: JSON.parse(m.contentJson) as unknown }));
    const delta = importDelta(stored, t, observedLeaf);
    if (delta.error) return fail('diverged', 'transcript_diverged', delta.error);
    if (current.active && delta.messages.length > 0) return fail('failed', 'session_active', 'The HAPI Pi session is active; stop it before importing native history changes');
    let appended;
    try {
      appended = await appendImported(deps, ctx, sid, delta.messages.map((m) => ({ content: m.content, localId: m.localId, createdAt: m.createdAt })));
    } catch (err) {
      return fail('failed', 'import_failed', err instanceof Error ? err.message : 'Failed to persist imported Pi history');
    }
    const persisted = new Set([...stored.map((m) => m.localId), ...appended.map((m) => m.localId ?? null)].filter((id): id is string => Boolean(id)));
    await updateMetadata(deps, ctx, sid, (m) => {
      const entryIds = { ...(asRecord(m.conversationHistoryEntryIds) ?? {}) };
      const points = { ...(asRecord(m.conversationHistoryPoints) ?? {}) };
      for (const source of t.messages) {
        if (source.content.role !== 'user' || !persisted.has(source.localId)) continue;
        entryIds[source.localId] = source.entryId;
        points[source.localId] = true;
      }
      return { ...piSessionMetadata(t, label, m, state('complete')), conversationHistoryEntryIds: entryIds, conversationHistoryPoints: points, ...(t.leafEntryId ? { piHistoryLeafEntryId: t.leafEntryId } : {}) };
    });
    ctx.log.info({ sessionId: sid, appended: appended.length }, 'pi session imported');
    return { piSessionId: t.id, hapiSessionId: sid, action: created ? 'created' : appended.length > 0 ? 'updated' : 'unchanged', appended: appended.length };
  }

  app.get('/api/pi/sessions', async (request, reply) => {
    const { ctx } = await requireWebCall(request, deps);
    const q = (request.query ?? {}) as Record<string, unknown>;
    const cwd = trimmed(q.cwd);
    const machine = await importMachine(deps, ctx, trimmed(q.machineId), null);
    if (!machine) return reply.code(503).send({ success: false, error: IMPORT_TEXTS.piNoMachine, sessions: [] });
    const answer = ListPiSessionsAnswer.safeParse(await askMachine(deps, ctx, machine.id, 'listPiSessions', { cwd }));
    if (!answer.success) return reply.code(503).send({ success: false, error: 'Unexpected Pi sessions RPC response', sessions: [], machineId: machine.id });
    if (!answer.data.success) return reply.code(503).send({ success: false, error: answer.data.error, sessions: [], machineId: machine.id });
    const imported = importedByPiId(await namespaceSessions(deps, ctx), machine.id);
    const sessions = answer.data.sessions.map((summary) => {
      const { messages: _m, activeEntryIds: _a, ...rest } = summary as PiTranscript;
      const s = imported.get(summary.id);
      const importState = asRecord(parseJsonObject(s?.metadataJson)?.piImportState)?.state;
      return { ...rest, ...(s ? { hapiSessionId: s.id } : {}), ...(importState === 'importing' || importState === 'complete' || importState === 'failed' || importState === 'diverged' ? { importState } : {}) };
    });
    return { success: true, sessions, machineId: machine.id };
  });

  app.post('/api/pi/import-sessions', async (request, reply) => {
    const { ctx } = await requireWebCall(request, deps);
    const body = asRecord(request.body);
    const ids = Array.isArray(body?.sessionIds) ? body.sessionIds.filter((id): id is string => typeof id === 'string' && id.trim().length > 0).map((id) => id.trim()) : [];
    if (ids.length === 0) return reply.code(400).send({ success: false, error: IMPORT_TEXTS.piNoneSelected, results: [] });
    const unique = [...new Set(ids)];
    const machine = await importMachine(deps, ctx, typeof body?.machineId === 'string' ? body.machineId.trim() : null, null);
    if (!machine) return reply.code(503).send({ success: false, error: IMPORT_TEXTS.piNoMachine, results: [] });
    const answer = ListPiSessionsAnswer.safeParse(await askMachine(deps, ctx, machine.id, 'listPiSessions', { cwd: typeof body?.cwd === 'string' ? body.cwd.trim() : null, sessionIds: unique }));
    if (!answer.success) return reply.code(503).send({ success: false, error: 'Unexpected Pi sessions RPC response', results: [], machineId: machine.id });
    if (!answer.data.success) return reply.code(503).send({ success: false, error: answer.data.error, results: [], machineId: machine.id });
    const byId = new Map(answer.data.sessions.filter((s): s is PiTranscript => 'messages' in s).map((s) => [s.id, s]));
    const imported = importedByPiId(await namespaceSessions(deps, ctx), machine.id);
    const results: ImportResult[] = [];
    for (const id of unique) {
      const t = byId.get(id);
      results.push(t ? await importOne(ctx, machine, t, imported.get(id) ?? null) : { piSessionId: id, error: { code: 'not_found', message: 'Pi session transcript not found' } });
    }
    return { success: results.every((r) => !r.error), results, machineId: machine.id };
  });
}
