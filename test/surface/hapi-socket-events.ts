import { z } from 'zod';
import { SessionEndReason } from './hapi-shapes.js';

/*
 * HAPI 0.30.7's Socket.IO surface (path /socket.io/, v4), read from hub/src/socket/server.ts,
 * hub/src/socket/handlers/cli/{index,sessionHandlers,machineHandlers,rpcHandlers,terminalHandlers}.ts,
 * hub/src/socket/handlers/terminal.ts and shared/src/socket.ts.
 *
 * `/cli` handshake: `auth: {token: "<base>[:namespace]", clientType, sessionId? | machineId?}`. A
 * wrong token fails the connection with `Error("Invalid token")`. The hub ignores clientType and
 * joins the room `session:<sessionId>` / `machine:<machineId>` only when that id exists in the
 * token's namespace (a foreign or unknown id connects but joins nothing). Access is checked per
 * event: a payload naming a session or machine of another namespace gets
 * `error {message:"session access denied"|"machine access denied", code:"access-denied", scope, id}`
 * (`… not found`, code `not-found` for an unknown id) and has no effect; CAS events answer
 * `{result:"error", reason:"access-denied"|"not-found"}` instead.
 *
 * `/terminal` handshake: `auth: {token: <web JWT>}`; `Missing token`, `Invalid token` or
 * `Invalid token payload` fail the connection.
 */

export interface HandledEventSpec {
  event: string;
  /** The socket namespace the event arrives on. */
  namespace: '/cli' | '/terminal';
  /** HAPI drops a payload that fails this schema without an answer (CAS events ack `{result:"error"}`). */
  payload: z.ZodType;
  /** The ack HAPI sends, when the event takes a callback. */
  ack?: z.ZodType;
  effect: string;
  /** What a foreign id in the payload gets. */
  foreign: string;
  /** Where teamhub deliberately behaves differently from HAPI, and why. */
  teamhub?: string;
}

export interface EmittedEventSpec {
  event: string;
  namespace: '/cli' | '/terminal';
  payload: z.ZodType;
  when: string;
  /** The ack HAPI waits for, when it sends with a callback. */
  ack?: z.ZodType;
}

const accessError = 'socket `error {message:"session access denied", code:"access-denied", scope:"session", id}`, no effect';
const machineAccessError = 'socket `error {message:"machine access denied", code:"access-denied", scope:"machine", id}`, no effect';
const casResult = (field: 'metadata' | 'agentState' | 'runnerState') =>
  z.union([
    z.object({ result: z.literal('success'), version: z.number(), [field]: z.unknown() }),
    z.object({ result: z.literal('version-mismatch'), version: z.number(), [field]: z.unknown() }),
    z.object({ result: z.literal('error'), reason: z.enum(['access-denied', 'not-found', 'namespace-missing']).optional() }),
  ]);
const terminalIds = { sessionId: z.string().min(1), terminalId: z.string().min(1) };

export const CLI_HANDLED_EVENTS: HandledEventSpec[] = [
  {
    event: 'message',
    namespace: '/cli',
    payload: z.object({ sid: z.string(), message: z.unknown(), localId: z.string().optional(), createdAt: z.number().optional() }),
    effect: 'stores the message (a JSON string is parsed); TodoWrite and team-state content update the session; `update {t:"new-message"}` to the other sockets of the session room; SSE message-received',
    foreign: accessError,
  },
  {
    event: 'update-metadata',
    namespace: '/cli',
    payload: z.object({ sid: z.string(), expectedVersion: z.number().int(), metadata: z.unknown() }),
    ack: casResult('metadata'),
    effect: 'compare-and-swap on the metadata version (hub-owned keys supersededBySessionId, opencodeClearOperation are kept); `update {t:"update-session"}` to the room; SSE session-updated',
    foreign: 'ack `{result:"error", reason:"access-denied"}`',
  },
  {
    event: 'update-state',
    namespace: '/cli',
    payload: z.object({ sid: z.string(), expectedVersion: z.number().int(), agentState: z.unknown().nullable() }),
    ack: casResult('agentState'),
    effect: 'compare-and-swap on the agent state (this is how permission requests appear); `update {t:"update-session"}`; SSE session-updated; new requests notify (toast / Web Push / Telegram)',
    foreign: 'ack `{result:"error", reason:"access-denied"}`',
  },
  {
    event: 'session-alive',
    namespace: '/cli',
    payload: z.object({ sid: z.string(), time: z.number() }).passthrough(),
    effect: 'marks the session active (in memory) with thinking, mode and runtime config fields; replays immediate queued user messages; SSE session-updated on change or every 10 s; expires after 30 s of silence',
    foreign: accessError,
  },
  {
    event: 'session-ready',
    namespace: '/cli',
    payload: z.object({ sid: z.string(), time: z.number() }),
    effect: 'marks the session ready (ACP / Pi readiness that reopen and fork wait for)',
    foreign: accessError,
  },
  {
    event: 'session-end',
    namespace: '/cli',
    payload: z.object({ sid: z.string(), time: z.number(), reason: SessionEndReason.optional() }),
    effect: 'sweeps immediate queued messages as consumed (not for reason cleared or shared sessions); marks inactive; SSE session-ended',
    foreign: accessError,
  },
  {
    event: 'messages-consumed',
    namespace: '/cli',
    payload: z.object({ sid: z.string(), localIds: z.array(z.string()), clearQueuedThinkingGrace: z.boolean().optional(), steered: z.boolean().optional() }),
    effect: 'stamps invokedAt on those queued messages; SSE messages-consumed {localIds, invokedAt, steered?}',
    foreign: accessError,
  },
  {
    event: 'messages-indeterminate',
    namespace: '/cli',
    payload: z.object({ sid: z.string(), localIds: z.array(z.string()) }),
    effect: 'marks those messages deliveryState indeterminate; SSE messages-indeterminate',
    foreign: accessError,
  },
  {
    event: 'messages-steer-state',
    namespace: '/cli',
    payload: z.object({ sid: z.string(), localIds: z.array(z.string()), state: z.enum(['queued', 'dispatching']) }),
    ack: z.object({ ok: z.boolean() }),
    effect: 'records the steer delivery state; state queued → SSE messages-requeued',
    foreign: 'socket error (access-denied) and ack `{ok:false}`',
  },
  {
    event: 'native-queue-message',
    namespace: '/cli',
    payload: z.object({ sid: z.string(), localId: z.string().min(1), text: z.string().nullable() }),
    effect: 'shared (concurrentClients) sessions only: text → stores/updates a queued user message (SSE message-received); null → deletes it (SSE message-cancelled)',
    foreign: accessError,
  },
  {
    event: 'machine-alive',
    namespace: '/cli',
    payload: z.object({ machineId: z.string(), time: z.number() }).passthrough(),
    effect: 'marks the machine online (in memory) with its health; SSE machine-updated on change or every 10 s; offline after 45 s of silence',
    foreign: machineAccessError,
  },
  {
    event: 'machine-update-metadata',
    namespace: '/cli',
    payload: z.object({ machineId: z.string(), expectedVersion: z.number().int(), metadata: z.unknown() }),
    ack: casResult('metadata'),
    effect: 'compare-and-swap on machine metadata; `update {t:"update-machine"}` to the machine room; SSE machine-updated',
    foreign: 'ack `{result:"error", reason:"access-denied"}`',
  },
  {
    event: 'machine-update-state',
    namespace: '/cli',
    payload: z.object({ machineId: z.string(), expectedVersion: z.number().int(), runnerState: z.unknown().nullable() }),
    ack: casResult('runnerState'),
    effect: 'compare-and-swap on the runner state, also marks the machine active; `update {t:"update-machine"}`; SSE machine-updated',
    foreign: 'ack `{result:"error", reason:"access-denied"}`',
  },
  {
    event: 'machine-agy-models-changed',
    namespace: '/cli',
    payload: z.object({ machineId: z.string().min(1) }),
    effect: 'SSE machine-agy-models-updated (the web refetches GET /api/machines/:id/agy-models)',
    foreign: machineAccessError,
  },
  {
    event: 'rpc-register',
    namespace: '/cli',
    payload: z.object({ method: z.string().min(1) }),
    effect: 'records `<id>:<method>` → this socket in one global map (last registration wins, no namespace or id check in HAPI)',
    foreign: 'none in HAPI: any socket with the base token may register any id (teamhub: only its own session or machine)',
  },
  {
    event: 'rpc-unregister',
    namespace: '/cli',
    payload: z.object({ method: z.string().min(1) }),
    effect: 'removes the registration if this socket holds it',
    foreign: 'no effect on another socket\'s registration',
  },
  {
    event: 'ping',
    namespace: '/cli',
    payload: z.unknown(),
    ack: z.undefined(),
    effect: 'acks with no arguments (the CLI\'s liveness probe)',
    foreign: 'n/a',
  },
  {
    event: 'terminal:ready',
    namespace: '/cli',
    payload: z.object(terminalIds),
    effect: 'forwarded to the web terminal socket that opened that terminal (only by the CLI socket the terminal was opened on)',
    foreign: accessError,
  },
  {
    event: 'terminal:output',
    namespace: '/cli',
    payload: z.object({ ...terminalIds, data: z.string() }),
    effect: 'buffered (256 KiB per terminal, replayed on reconnect) and forwarded to the web terminal socket',
    foreign: accessError,
  },
  {
    event: 'terminal:exit',
    namespace: '/cli',
    payload: z.object({ ...terminalIds, code: z.number().int().nullable(), signal: z.string().nullable() }),
    effect: 'forgets the terminal and forwards to the web terminal socket',
    foreign: 'ignored (entry must belong to this CLI socket and session)',
  },
  {
    event: 'terminal:error',
    namespace: '/cli',
    payload: z.object({ ...terminalIds, message: z.string() }),
    effect: 'forgets the terminal and forwards to the web terminal socket',
    foreign: accessError,
  },
  {
    event: 'agent-terminal:output',
    namespace: '/cli',
    payload: z.object({ ...terminalIds, data: z.string() }),
    effect: 'only from a socket in the session room: buffered and sent to the /terminal room agent-session:<sid> (the web view of the agent\'s own terminal)',
    foreign: accessError,
  },
  {
    event: 'agent-terminal:reset',
    namespace: '/cli',
    payload: z.object({ sessionId: z.string().min(1) }),
    effect: 'only from a socket in the session room: clears the agent terminal buffer',
    foreign: accessError,
  },
];

const updateEnvelope = <T extends z.ZodType>(body: T) => z.object({ id: z.string(), seq: z.number(), createdAt: z.number(), body });
const newMessage = z.object({ id: z.string(), seq: z.number(), createdAt: z.number(), localId: z.string().nullable().optional(), content: z.unknown() });

export const CLI_EMITTED_EVENTS: EmittedEventSpec[] = [
  {
    event: 'update:new-message',
    namespace: '/cli',
    payload: updateEnvelope(z.object({ t: z.literal('new-message'), sid: z.string(), message: newMessage })),
    when: 'POST /api/sessions/:id/messages (not for future scheduledAt), a scheduled message maturing, session-alive replaying queued messages, another socket of the room sending `message`',
  },
  {
    event: 'update:update-session',
    namespace: '/cli',
    payload: updateEnvelope(
      z.object({ t: z.literal('update-session'), sid: z.string(), metadata: z.object({ version: z.number(), value: z.unknown() }).nullable(), agentState: z.object({ version: z.number(), value: z.unknown().nullable() }).nullable() }),
    ),
    when: 'another socket of the session room changed metadata or agent state',
  },
  {
    event: 'update:update-machine',
    namespace: '/cli',
    payload: updateEnvelope(
      z.object({ t: z.literal('update-machine'), machineId: z.string(), metadata: z.object({ version: z.number(), value: z.unknown() }).nullable(), runnerState: z.object({ version: z.number(), value: z.unknown().nullable() }).nullable() }),
    ),
    when: 'another socket of the machine room changed machine metadata or runner state',
  },
  {
    event: 'update:cancel-queued-message',
    namespace: '/cli',
    payload: updateEnvelope(z.object({ t: z.literal('cancel-queued-message'), sid: z.string(), messageId: z.string(), localId: z.string().optional() })),
    ack: z.object({ removed: z.boolean(), inFlight: z.boolean().optional(), indeterminate: z.boolean().optional(), accepted: z.boolean().optional(), consumed: z.boolean().optional() }),
    when: 'DELETE /api/sessions/:id/messages/:messageId and POST …/retry while a CLI is in the room; sent with a 500 ms ack timeout (no answer → the message turns indeterminate)',
  },
  {
    event: 'update:retry-queued-message',
    namespace: '/cli',
    payload: updateEnvelope(z.object({ t: z.literal('retry-queued-message'), sid: z.string(), messageId: z.string(), localId: z.string().nullable(), message: newMessage })),
    ack: z.object({ accepted: z.boolean() }).passthrough(),
    when: 'POST /api/sessions/:id/messages/:messageId/retry of an indeterminate message with exactly one CLI in the room; `accepted:true` requeues it',
  },
  {
    event: 'rpc-request',
    namespace: '/cli',
    payload: z.object({ method: z.string(), params: z.string() }),
    ack: z.unknown(),
    when: 'any relayed route (see hapi-rpc-methods.ts); sent to the socket that registered the method',
  },
  {
    event: 'error',
    namespace: '/cli',
    payload: z.object({ message: z.string(), code: z.enum(['access-denied', 'not-found', 'namespace-missing']), scope: z.enum(['session', 'machine']), id: z.string() }),
    when: 'an event names a session or machine the socket\'s namespace cannot use',
  },
  { event: 'terminal:open', namespace: '/cli', payload: z.object({ ...terminalIds, cols: z.number().int().positive(), rows: z.number().int().positive() }), when: '/terminal terminal:create for this session (to one CLI socket of the session room in the same namespace)' },
  { event: 'terminal:write', namespace: '/cli', payload: z.object({ ...terminalIds, data: z.string() }), when: '/terminal terminal:write' },
  { event: 'terminal:resize', namespace: '/cli', payload: z.object({ ...terminalIds, cols: z.number().int().positive(), rows: z.number().int().positive() }), when: '/terminal terminal:resize' },
  { event: 'terminal:close', namespace: '/cli', payload: z.object(terminalIds), when: '/terminal terminal:close, or 15 min without activity (HAPI_TERMINAL_IDLE_TIMEOUT_MS)' },
  { event: 'agent-terminal:refresh', namespace: '/cli', payload: z.object({ sessionId: z.string().min(1) }), when: '/terminal agent-terminal:subscribe (the CLI repaints; without a CLI the buffer is replayed)' },
  { event: 'agent-terminal:resize', namespace: '/cli', payload: z.object({ sessionId: z.string().min(1), cols: z.number().int().positive(), rows: z.number().int().positive() }), when: '/terminal agent-terminal:resize' },
  { event: 'agent-terminal:input', namespace: '/cli', payload: z.object({ sessionId: z.string().min(1), data: z.string().min(1) }), when: '/terminal agent-terminal:input' },
  { event: 'agent-terminal:idle', namespace: '/cli', payload: z.object({ sessionId: z.string().min(1) }), when: 'the last /terminal viewer of the session unsubscribed or disconnected' },
];

export const TERMINAL_HANDLED_EVENTS: HandledEventSpec[] = [
  {
    event: 'terminal:create',
    namespace: '/terminal',
    payload: z.object({ ...terminalIds, cols: z.number().int().positive(), rows: z.number().int().positive() }),
    effect: 'opens a terminal on a CLI socket of that session (same namespace, session active); at most 4 per socket and per session (HAPI_TERMINAL_MAX_TERMINALS); replays the buffer on reconnect',
    foreign: '`terminal:error {terminalId, message:"Session is inactive or unavailable."}`',
    teamhub:
      'terminal ids are kept per namespace and session, so another namespace\'s id is never "already in use" (HAPI\'s registry is global); the per-session limit is counted by the replica holding the CLI socket (the page and the CLI may be on different replicas)',
  },
  { event: 'terminal:write', namespace: '/terminal', payload: z.object({ terminalId: z.string().min(1), data: z.string() }), effect: 'forwarded as terminal:write', foreign: 'ignored unless this socket opened the terminal' },
  { event: 'terminal:resize', namespace: '/terminal', payload: z.object({ terminalId: z.string().min(1), cols: z.number().int().positive(), rows: z.number().int().positive() }), effect: 'forwarded as terminal:resize', foreign: 'ignored unless this socket opened the terminal' },
  { event: 'terminal:close', namespace: '/terminal', payload: z.object({ terminalId: z.string().min(1) }), effect: 'forgets it and sends terminal:close to the CLI', foreign: 'ignored unless this socket opened the terminal' },
  {
    event: 'agent-terminal:subscribe',
    namespace: '/terminal',
    payload: z.object({ sessionId: z.string().min(1) }),
    effect: 'joins agent-session:<sid>; agent-terminal:refresh to the CLI, or the buffer replayed',
    foreign: 'ignored (session must be active in the socket\'s namespace)',
    teamhub: 'no replay buffer: the CLI repaints (a session is only watchable while active, and then its CLI is connected); without a CLI the page gets nothing until it repaints',
  },
  { event: 'agent-terminal:unsubscribe', namespace: '/terminal', payload: z.object({ sessionId: z.string().min(1) }), effect: 'leaves the room; agent-terminal:idle to the CLI when no viewer is left', foreign: 'n/a (only leaves its own room)' },
  { event: 'agent-terminal:resize', namespace: '/terminal', payload: z.object({ sessionId: z.string().min(1), cols: z.number().int().positive(), rows: z.number().int().positive() }), effect: 'forwarded to the CLI', foreign: 'ignored' },
  { event: 'agent-terminal:input', namespace: '/terminal', payload: z.object({ sessionId: z.string().min(1), data: z.string().min(1) }), effect: 'forwarded to the CLI', foreign: 'ignored' },
];

export const TERMINAL_EMITTED_EVENTS: EmittedEventSpec[] = [
  { event: 'terminal:ready', namespace: '/terminal', payload: z.object(terminalIds), when: 'the CLI reported terminal:ready' },
  { event: 'terminal:output', namespace: '/terminal', payload: z.object({ terminalId: z.string(), data: z.string() }).passthrough(), when: 'CLI output, or the buffer replayed on terminal:create of a known terminal from a new socket' },
  { event: 'terminal:exit', namespace: '/terminal', payload: z.object({ ...terminalIds, code: z.number().int().nullable(), signal: z.string().nullable() }), when: 'the CLI reported terminal:exit' },
  { event: 'terminal:error', namespace: '/terminal', payload: z.object({ terminalId: z.string(), message: z.string() }).passthrough(), when: 'a refused create, the CLI disconnecting ("CLI disconnected."), 15 min idle ("Terminal closed due to inactivity.")' },
  { event: 'agent-terminal:output', namespace: '/terminal', payload: z.object({ sessionId: z.string(), terminalId: z.string(), data: z.string() }), when: 'the CLI\'s agent-terminal:output, the buffer on subscribe, "[Session terminated]" when the session ends' },
];
