import { z } from 'zod';
import { DecryptedMessage, Machine, MachinePatch, Session, SessionEndReason, SessionPatch } from './hapi-shapes.js';

/*
 * The 16 event types `GET /api/events` sends (HAPI 0.30.7 `SyncEventSchema`, shared/src/schemas.ts),
 * who causes each (hub/src/sync/*, hub/src/socket/handlers/cli/*) and who receives it
 * (hub/src/sse/sseManager.ts `shouldSend`): every event but connection-changed carries the
 * namespace and goes only to connections of that namespace; `all=true` connections get all of
 * them, a `sessionId=` connection the events naming that session, a `machineId=` connection the
 * events naming that machine. message-received and scheduled-matured go only to `all` and to that
 * session's connections. Frames are `data: <json>` with `id: <epoch>:<seq>:<namespace tag>`
 * (heartbeats and connection-changed carry no id).
 */

export interface SseEventSpec {
  type: string;
  schema: z.ZodType;
  /** What makes the hub send it. */
  causedBy: string[];
  /** Extra routing beyond "same namespace". */
  routing?: string;
}

const base = { namespace: z.string().optional() };
const sessionBase = { ...base, sessionId: z.string() };
const machineBase = { ...base, machineId: z.string() };

export const SSE_EVENTS: SseEventSpec[] = [
  {
    type: 'session-added',
    schema: z.object({ ...sessionBase, type: z.literal('session-added'), data: Session.optional() }),
    causedBy: ['POST /cli/sessions creating a session', 'a fork, clear or resume creating a child session'],
  },
  {
    type: 'session-updated',
    schema: z.object({ ...sessionBase, type: z.literal('session-updated'), data: z.union([Session, SessionPatch]).optional() }),
    causedBy: [
      'socket update-metadata / update-state (versioned patch)',
      'session-alive changing active, thinking or runtime config (patch; also every 10 s)',
      'socket message carrying TodoWrite or team state (todos/teamState patch)',
      'PATCH /api/sessions/:id, PATCH …/summary, PUT …/pin, the config routes (model, effort, permission-mode…)',
      'POST /api/sessions/:id/messages (thinking turn start)',
    ],
  },
  {
    type: 'session-removed',
    schema: z.object({ ...base, type: z.literal('session-removed'), sessionId: z.string() }),
    causedBy: ['DELETE /api/sessions/:id', 'deduplication of two sessions bound to the same agent session id'],
  },
  {
    type: 'message-received',
    schema: z.object({ ...sessionBase, type: z.literal('message-received'), message: DecryptedMessage }),
    causedBy: ['socket message from the CLI', 'POST /api/sessions/:id/messages', 'socket native-queue-message with text'],
    routing: '`all` connections and that session\'s connections only',
  },
  {
    type: 'messages-invalidated',
    schema: z.object({ ...sessionBase, type: z.literal('messages-invalidated'), reason: z.literal('rewind').optional(), truncateFromLocalId: z.string().min(1).optional() }),
    causedBy: ['POST /api/sessions/:id/rewind succeeding'],
  },
  {
    type: 'scheduled-matured',
    schema: z.object({ ...sessionBase, type: z.literal('scheduled-matured') }),
    causedBy: ['a message posted with scheduledAt reaching its time (checked every 5 s), once per localId'],
    routing: '`all` connections and that session\'s connections only',
  },
  {
    type: 'session-ended',
    schema: z.object({ ...sessionBase, type: z.literal('session-ended'), reason: SessionEndReason.optional() }),
    causedBy: ['socket session-end', 'POST /api/sessions/:id/archive'],
  },
  {
    type: 'machine-updated',
    schema: z.object({ ...machineBase, type: z.literal('machine-updated'), data: z.union([Machine, MachinePatch, z.null()]).optional() }),
    causedBy: ['POST /cli/machines', 'socket machine-update-metadata / machine-update-state', 'machine-alive changing active (also every 10 s)', 'PATCH /api/machines/:id', 'a machine expiring (45 s without machine-alive)'],
  },
  {
    type: 'machine-agy-models-updated',
    schema: z.object({ ...machineBase, type: z.literal('machine-agy-models-updated') }),
    causedBy: ['socket machine-agy-models-changed from the runner'],
  },
  {
    type: 'toast',
    schema: z.object({ ...base, type: z.literal('toast'), data: z.object({ title: z.string(), body: z.string(), sessionId: z.string(), url: z.string() }) }),
    causedBy: ['a permission request, a finished turn ("Ready for input") or a task notification while a page of the namespace is visible (POST /api/visibility); otherwise Web Push is sent instead'],
    routing: 'only connections marked visible, with no event id (not replayable)',
  },
  {
    type: 'messages-consumed',
    schema: z.object({ ...sessionBase, type: z.literal('messages-consumed'), localIds: z.array(z.string()), invokedAt: z.number(), steered: z.boolean().optional() }),
    causedBy: ['socket messages-consumed', 'session-end sweeping immediate queued messages', 'a cancel racing a consumption'],
  },
  {
    type: 'messages-indeterminate',
    schema: z.object({ ...sessionBase, type: z.literal('messages-indeterminate'), localIds: z.array(z.string()) }),
    causedBy: ['socket messages-indeterminate', 'DELETE …/messages/:messageId when the CLI cannot confirm removal'],
  },
  {
    type: 'messages-requeued',
    schema: z.object({ ...sessionBase, type: z.literal('messages-requeued'), localIds: z.array(z.string()) }),
    causedBy: ['socket messages-steer-state {state:"queued"}', 'POST …/messages/:messageId/retry succeeding'],
  },
  {
    type: 'message-cancelled',
    schema: z.object({ ...sessionBase, type: z.literal('message-cancelled'), messageId: z.string(), localId: z.string().optional() }),
    causedBy: ['DELETE /api/sessions/:id/messages/:messageId removing a queued message', 'socket native-queue-message with text null'],
  },
  {
    type: 'heartbeat',
    schema: z.object({ ...base, type: z.literal('heartbeat'), data: z.object({ timestamp: z.number() }).optional() }),
    causedBy: ['every 30 s on every open stream'],
  },
  {
    type: 'connection-changed',
    schema: z.object({
      ...base,
      type: z.literal('connection-changed'),
      data: z.object({ status: z.string(), subscriptionId: z.string().optional(), resume: z.enum(['ok', 'gap']).optional() }).optional(),
    }),
    causedBy: ['the first frame of every stream: {status:"connected", subscriptionId, resume:"ok"|"gap"}'],
  },
];

/** The schema of one SSE event type; throws for a type HAPI does not send. */
export function sseEvent(type: string): SseEventSpec {
  const spec = SSE_EVENTS.find((e) => e.type === type);
  if (!spec) throw new Error(`HAPI sends no SSE event ${type}`);
  return spec;
}

/** Any SSE frame HAPI may send. */
export function parseSseEvent(data: unknown): { type: string; ok: boolean; error?: string } {
  const type = (data as { type?: unknown })?.type;
  if (typeof type !== 'string') return { type: String(type), ok: false, error: 'no type' };
  const spec = SSE_EVENTS.find((e) => e.type === type);
  if (!spec) return { type, ok: false, error: 'unknown type' };
  const r = spec.schema.safeParse(data);
  return r.success ? { type, ok: true } : { type, ok: false, error: r.error.message };
}
