import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Session } from '../../lib/gen/teamhub/session/v1/session.js';
import { MigrateToAcpBody } from '../hapi/session-rules.js';
import { requireCliContext } from '../http/cli-auth.js';
import { jsonBodyText, withLenientJson } from '../http/lenient-json.js';
import { requireWebCall } from '../http/web-auth.js';
import { requireSessionAccess, requireWebSession } from './api-sessions-guard.js';
import { onlineMachines } from './machine-spawn.js';
import type { LiveRouteDeps } from './route-deps.js';
import { metadataOf, str } from './session-metadata.js';
import { rpcFailureText } from './session-rpc.js';

type IdParams = { Params: { id: string } };

const CURSOR_SESSION_ID = /^[A-Za-z0-9_.-]+$/;
const CursorChatStoreStatus = z.object({ onDisk: z.boolean(), store: z.enum(['legacy', 'acp']).nullable() });

/** HAPI's refusal body of a migration (`{ok:false, sessionId, reason, message, durationMs}`) with its status. */
function refusal(sessionId: string, reason: string, message: string, status: number) {
  return { status, body: { ok: false, sessionId, reason, message, durationMs: 0 } };
}

/**
 * HAPI's Cursor legacy → ACP migration transplants a chat store found on the hub's own disk. In
 * teamhub the hub host is not where sessions run, so after HAPI's pre-checks (409s) the answer is
 * the one HAPI gives when no legacy store is on its disk (404 no_legacy_store_on_disk): clients
 * keep working and nothing on the gateway's host is read.
 */
export function migrationOutcome(s: Session, body: z.output<typeof MigrateToAcpBody>): { status: number; body: Record<string, unknown> } {
  const md = metadataOf(s);
  if (!md || md.flavor !== 'cursor') return refusal(s.id, 'not_cursor_session', 'session.metadata.flavor must be "cursor"', 409);
  if (md.cursorSessionProtocol === 'acp') return refusal(s.id, 'already_acp', 'session already runs over ACP; nothing to migrate', 409);
  const cursorSessionId = typeof md.cursorSessionId === 'string' ? md.cursorSessionId.trim() : '';
  if (cursorSessionId.length === 0) return refusal(s.id, 'no_cursor_session_id', 'session.metadata.cursorSessionId is missing', 409);
  if (!CURSOR_SESSION_ID.test(cursorSessionId) || cursorSessionId === '.' || cursorSessionId === '..') {
    return refusal(s.id, 'no_cursor_session_id', `cursorSessionId '${cursorSessionId}' fails basename validation`, 409);
  }
  if ((md.lifecycleState === 'running' || s.active) && !body.forceArchiveRunning) {
    return refusal(s.id, 'running_refused', 'session is active; archive first or pass forceArchiveRunning', 409);
  }
  const home = str(md.homeDir) ?? '~';
  return refusal(s.id, 'no_legacy_store_on_disk', `~/.cursor/chats/*/${cursorSessionId}/store.db not found under ${home}`, 404);
}

/** Body handling shared by both migrate routes: HAPI reads the raw text (an empty body is `{}`). */
function migrate(request: FastifyRequest, reply: FastifyReply, s: Session) {
  const raw = jsonBodyText(request);
  if (raw.kind === 'bad') return reply.code(400).send({ error: 'Invalid JSON body' });
  const parsed = MigrateToAcpBody.safeParse(raw.kind === 'empty' ? {} : (raw.value ?? {}));
  if (!parsed.success) return reply.code(400).send({ error: 'Invalid body', issues: parsed.error.issues });
  const outcome = migrationOutcome(s, parsed.data);
  return reply.code(outcome.status).send(outcome.body);
}

/**
 * Cursor-specific session routes: the legacy → ACP migration from the CLI and from the web, and
 * whether a Cursor session's chat data is still on its machine (asked of that machine's runner).
 */
export function registerSessionCursorRoutes(app: FastifyInstance, deps: LiveRouteDeps): void {
  withLenientJson(app, (scoped) => {
    scoped.post<IdParams>('/cli/sessions/:id/migrate-to-acp', async (request, reply) => {
      const ctx = await requireCliContext(request, deps);
      return migrate(request, reply, await requireSessionAccess(deps, ctx, request.params.id));
    });
    scoped.post<IdParams>('/api/sessions/:id/migrate-to-acp', async (request, reply) => {
      const { ctx } = await requireWebCall(request, deps);
      return migrate(request, reply, await requireSessionAccess(deps, ctx, request.params.id));
    });
  });

  app.get<IdParams>('/api/sessions/:id/cursor-chat-store', async (request, reply) => {
    const { ctx, session } = await requireWebSession(request, deps, request.params.id);
    const md = metadataOf(session);
    const path = str(md?.path);
    const cursorSessionId = str(md?.cursorSessionId);
    if (md?.flavor !== 'cursor' || !path || !cursorSessionId) return reply.code(409).send({ error: 'Cursor resume metadata is unavailable', code: 'resume_unavailable' });
    // Only the session's own machine holds its chat data (matched by id, never by host).
    const machineId = str(md.machineId);
    const machine = machineId ? (await onlineMachines(deps, deps.live, ctx)).find((m) => m.id === machineId) : undefined;
    if (!machine) return reply.code(503).send({ error: 'No machine online', code: 'no_machine_online' });
    try {
      const ack = await deps.live.rpcCall(ctx.namespace, machine.id, 'cursor-chat-store-status', { workspacePath: path, cursorSessionId, homeDir: str(md.homeDir) });
      const status = CursorChatStoreStatus.safeParse(ack);
      if (!status.success) return reply.code(502).send({ error: 'Unexpected cursor-chat-store-status answer', code: 'probe_failed' });
      return status.data;
    } catch (err) {
      return reply.code(502).send({ error: rpcFailureText(err, machine.id, 'cursor-chat-store-status'), code: 'probe_failed' });
    }
  });
}
