import { CasResult } from '../../lib/gen/teamhub/common/v1/common.js';
import { fromJsonText } from '../../lib/json.js';
import type { Liveness } from './liveness.js';
import type { Access, SessionAccessCache } from './socket-access.js';
import type { SocketContext } from './socket-context.js';

type Ack = ((res?: unknown) => void) | undefined;
type Payload = Record<string, unknown>;

const isObject = (v: unknown): v is Payload => typeof v === 'object' && v !== null && !Array.isArray(v);
const ackOf = (args: unknown[]): Ack => {
  const last = args[args.length - 1];
  return typeof last === 'function' ? (last as (res?: unknown) => void) : undefined;
};
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

const RUNTIME_KEYS = ['thinking', 'mode', 'permissionMode', 'model', 'modelReasoningEffort', 'effort', 'serviceTier', 'collaborationMode', 'copilotAgentMode'];

/**
 * Session-scoped socket events (reference §3.5; acks as in transcript J). Every event names its
 * session; one in another namespace gets the `error` event or an `access-denied` ack.
 */
export function attachSessionHandlers(ctx: SocketContext, access: SessionAccessCache, liveness: Liveness): void {
  const { socket, namespace: ns, deps } = ctx;
  const scope = { namespace: ns };
  const log = deps.log.child({ socket: socket.id, ns });

  const denied = (sid: unknown, a: Access) =>
    ctx.emitError(a === 'access-denied' ? 'session access denied' : 'session not found', a === 'access-denied' ? 'access-denied' : 'not-found', 'session', typeof sid === 'string' ? sid : undefined);

  /** Runs `fn` for an accessible session; errors are logged, never thrown at the socket. */
  const onSession = (event: string, fn: (sid: string, data: Payload, ack: Ack) => Promise<void>, ackOnDenied = false) => {
    socket.on(event, (...args: unknown[]) => {
      const data = args[0];
      const ack = ackOf(args);
      void (async () => {
        if (!isObject(data) || typeof data.sid !== 'string') return ack?.({ result: 'error', reason: 'invalid' });
        const a = await access.check(data.sid);
        if (a !== 'ok') {
          if (ackOnDenied && ack) return ack({ result: 'error', reason: a });
          return denied(data.sid, a);
        }
        await fn(data.sid, data, ack);
      })().catch((err: unknown) => {
        log.warn({ err, event }, 'socket event failed');
        ack?.({ result: 'error', reason: 'internal' });
      });
    });
  };

  onSession('message', async (sid, data) => {
    if (data.message === undefined || data.message === null) return;
    let content: unknown = data.message;
    if (typeof content === 'string') {
      try {
        content = JSON.parse(content) as unknown;
      } catch {
        // stored as the string it is
      }
    }
    const localId = typeof data.localId === 'string' && data.localId.length > 0 ? data.localId : undefined;
    await deps.clients.session.call(
      'appendMessage',
      { namespace: ns, sessionId: sid, contentJson: JSON.stringify(content), localId, createdAt: num(data.createdAt), invoked: true, origin: ctx.origin },
      scope,
    );
  });

  const casHandler = (event: 'update-metadata' | 'update-state', field: 'metadata' | 'agentState') =>
    onSession(
      event,
      async (sid, data, ack) => {
        const expectedVersion = num(data.expectedVersion);
        if (expectedVersion === undefined || !(field in data)) return ack?.({ result: 'error', reason: 'invalid' });
        const doc = data[field];
        const req = { namespace: ns, id: sid, expectedVersion, json: doc === null || doc === undefined ? undefined : JSON.stringify(doc), origin: ctx.origin };
        const res = await deps.clients.session.call(field === 'metadata' ? 'updateMetadata' : 'updateAgentState', req, scope);
        const result = res.result === CasResult.CAS_RESULT_SUCCESS ? 'success' : 'version-mismatch';
        ack?.({ result, version: res.version, [field]: fromJsonText(res.json) });
      },
      true,
    );
  casHandler('update-metadata', 'metadata');
  casHandler('update-state', 'agentState');

  onSession('session-alive', async (sid, data) => {
    const extra: Payload = {};
    for (const k of RUNTIME_KEYS) if (data[k] !== undefined) extra[k] = data[k];
    extra.thinking = data.thinking === true;
    liveness.touch('session', ns, sid, num(data.time) ?? Date.now(), extra);
  });

  onSession('session-ready', async () => {});

  onSession('session-end', async (sid, data) => {
    const at = num(data.time) ?? Date.now();
    await liveness.endAndWait('session', ns, sid, Math.min(at, Date.now()));
    const reason = typeof data.reason === 'string' ? data.reason : 'completed';
    await deps.clients.session.call('endSession', { namespace: ns, id: sid, at, reason }, scope);
  });

  onSession('messages-consumed', async (sid, data) => {
    const localIds = Array.isArray(data.localIds) ? data.localIds.filter((x): x is string => typeof x === 'string') : [];
    if (localIds.length === 0) return;
    await deps.clients.session.call('markMessagesConsumed', { namespace: ns, sessionId: sid, localIds, at: Date.now() }, scope);
  });

  onSession('messages-indeterminate', async () => {});
  onSession('messages-steer-state', async (_sid, _data, ack) => ack?.({ ok: true }), true);

  socket.on('ping', (...args: unknown[]) => ackOf(args)?.());
  socket.on('usage-report', () => {});
}
