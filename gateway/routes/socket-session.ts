import { CasResult } from '../../lib/gen/teamhub/common/v1/common.js';
import type { CallContext } from '../../lib/context.js';
import { isAppError } from '../../lib/errors.js';
import { fromJsonText } from '../../lib/json.js';
import { isInt64, optionalInt64 } from '../../lib/proto-numbers.js';
import type { Access } from '../live/socket-access.js';
import type { SocketContext } from '../live/socket-context.js';

type Ack = ((res?: unknown) => void) | undefined;
type Payload = Record<string, unknown>;

const isObject = (v: unknown): v is Payload => typeof v === 'object' && v !== null && !Array.isArray(v);
const ackOf = (args: unknown[]): Ack => {
  const last = args[args.length - 1];
  return typeof last === 'function' ? (last as (res?: unknown) => void) : undefined;
};
/** A number the service keeps as int64 (a time or a version), or undefined for anything else. */
const num = (v: unknown): number | undefined => (isInt64(v) ? v : undefined);

const RUNTIME_KEYS = ['thinking', 'mode', 'permissionMode', 'model', 'modelReasoningEffort', 'effort', 'serviceTier', 'collaborationMode', 'copilotAgentMode'];

/**
 * Session-scoped socket events of the CLI, with HAPI's acks (`{result, version, <doc>}` for the
 * CAS updates). Every event names its session; one in another namespace gets the `error` event
 * or an `access-denied` ack. Each event is one call with its own context (request id).
 */
export function attachSessionHandlers(ctx: SocketContext): void {
  const { socket, namespace: ns, deps, access, liveness } = ctx;

  const denied = (sid: unknown, a: Access) =>
    ctx.emitError(a === 'access-denied' ? 'session access denied' : 'session not found', a === 'access-denied' ? 'access-denied' : 'not-found', 'session', typeof sid === 'string' ? sid : undefined);

  /** Runs `fn` for an accessible session; errors are logged, never thrown at the socket. */
  const onSession = (
    event: string,
    fn: (call: CallContext, sid: string, data: Payload, ack: Ack) => Promise<void>,
    ackOnDenied = false,
    // A payload of the wrong shape is answered `{result:'error'}` before the session is looked up,
    // as HAPI validates first: the answer then says nothing about whose the session is.
    shapeOk?: (data: Payload) => boolean,
  ) => {
    socket.on(event, (...args: unknown[]) => {
      const data = args[0];
      const ack = ackOf(args);
      const call = ctx.call();
      void (async () => {
        if (!isObject(data) || typeof data.sid !== 'string') return ack?.({ result: 'error', reason: 'invalid' });
        if (shapeOk && !shapeOk(data)) return ack?.({ result: 'error' });
        const a = await access.check(call, data.sid);
        if (a !== 'ok') {
          if (ackOnDenied && ack) return ack({ result: 'error', reason: a });
          return denied(data.sid, a);
        }
        await fn(call, data.sid, data, ack);
      })().catch((err: unknown) => {
        // A limit the client passed (too large, too many) is its answer, not the hub's failure.
        if (isAppError(err, 'payload_too_large') || isAppError(err, 'resource_exhausted')) {
          const sid = isObject(args[0]) && typeof args[0].sid === 'string' ? args[0].sid : undefined;
          if (ack) return ack({ result: 'error', reason: err.message });
          return ctx.emitError(err.message, 'limit-exceeded', 'session', sid);
        }
        // Bad input the service or the encoder refused is the client's error, not ours.
        if (isAppError(err, 'invalid_argument')) return ack?.({ result: 'error', reason: 'invalid', message: err.message });
        call.log.warn({ err, event }, 'socket event failed');
        // A service that is down or stalled: the client may retry (with the same localId).
        if (isAppError(err, 'unavailable') || isAppError(err, 'deadline_exceeded')) return ack?.({ result: 'error', reason: 'unavailable', message: err.message });
        ack?.({ result: 'error', reason: 'internal' });
      });
    });
  };

  onSession('message', async (call, sid, data, ack) => {
    if (data.message === undefined || data.message === null) return ack?.({ result: 'error', reason: 'invalid' });
    const createdAt = optionalInt64(data.createdAt);
    if (!createdAt.ok) return ack?.({ result: 'error', reason: 'invalid', message: 'createdAt must be an integer time in ms' });
    let content: unknown = data.message;
    if (typeof content === 'string') {
      try {
        content = JSON.parse(content) as unknown;
      } catch {
        // stored as the string it is
      }
    }
    const localId = typeof data.localId === 'string' && data.localId.length > 0 ? data.localId : undefined;
    const res = await deps.clients.session.call(
      'appendMessage',
      { sessionId: sid, contentJson: JSON.stringify(content), localId, createdAt: createdAt.value, invoked: true, origin: ctx.origin },
      call,
    );
    // HAPI's CLI sends `message` without a callback; a client that passes one learns the write
    // is durable (what a retry with the same localId needs to know).
    ack?.({ result: 'success', id: res.message?.id, seq: res.message?.seq });
  });

  const casHandler = (event: 'update-metadata' | 'update-state', field: 'metadata' | 'agentState') =>
    onSession(
      event,
      async (call, sid, data, ack) => {
        const expectedVersion = num(data.expectedVersion)!;
        const doc = data[field];
        const req = { id: sid, expectedVersion, json: doc === null || doc === undefined ? undefined : JSON.stringify(doc), origin: ctx.origin };
        const res = await deps.clients.session.call(field === 'metadata' ? 'updateMetadata' : 'updateAgentState', req, call);
        const result = res.result === CasResult.CAS_RESULT_SUCCESS ? 'success' : 'version-mismatch';
        ack?.({ result, version: res.version, [field]: fromJsonText(res.json) });
      },
      true,
      (data) => num(data.expectedVersion) !== undefined && field in data,
    );
  casHandler('update-metadata', 'metadata');
  casHandler('update-state', 'agentState');

  onSession('session-alive', async (_call, sid, data) => {
    const extra: Payload = {};
    for (const k of RUNTIME_KEYS) if (data[k] !== undefined) extra[k] = data[k];
    extra.thinking = data.thinking === true;
    liveness.touch('session', ns, sid, num(data.time) ?? Date.now(), extra);
  });

  onSession('session-end', async (call, sid, data) => {
    const at = num(data.time) ?? Date.now();
    await liveness.endAndWait('session', ns, sid, Math.min(at, Date.now()));
    const reason = typeof data.reason === 'string' ? data.reason : 'completed';
    // HAPI: what the CLI was given but never reported taken counts as taken (not after /clear,
    // whose replacement session takes the queue over).
    if (reason !== 'cleared') await deps.clients.session.call('sweepQueuedMessages', { sessionId: sid, at: Date.now() }, call);
    await deps.clients.session.call('endSession', { id: sid, at, reason }, call);
  });

  socket.on('ping', (...args: unknown[]) => ackOf(args)?.());
  socket.on('usage-report', () => {});
}
