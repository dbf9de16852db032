import type { CallContext } from '../../lib/context.js';
import { MessageDeliveryState } from '../../lib/gen/teamhub/session/v1/session.js';
import { messageContent, toHapiCliMessage } from '../hapi/session-view.js';
import type { SocketContext } from '../live/socket-context.js';
import { MAX_CONSUMED_IDS } from '../../lib/limits.js';

type Ack = ((res?: unknown) => void) | undefined;
type Payload = Record<string, unknown>;

/**
 * Local ids one socket event may name. HAPI has no limit; we refuse more with a socket `error`
 * (code `invalid`) rather than run an unbounded write.
 */
export const MAX_LOCAL_IDS_PER_EVENT = MAX_CONSUMED_IDS;
/** How many queued messages a (re)connected CLI is re-sent at most. */
const REPLAY_LIMIT = 200;

const isObject = (v: unknown): v is Payload => typeof v === 'object' && v !== null && !Array.isArray(v);
const ackOf = (args: unknown[]): Ack => {
  const last = args[args.length - 1];
  return typeof last === 'function' ? (last as (res?: unknown) => void) : undefined;
};
const localIdsOf = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/**
 * The CLI's reports about the messages queued for it, with their effect (HAPI's handlers):
 * `messages-consumed` (it took them), `messages-indeterminate` (it cannot say whether it took
 * them), `messages-steer-state` (it is steering them into its turn, or put them back),
 * `native-queue-message` (a shared session's own app queued, edited or dropped one), and
 * `session-ready` (it is ready: the queue it missed is re-sent). A socket acts only on its own
 * session: another session's id, even of its namespace, gets the `error` event and changes nothing.
 */
export function attachMessageHandlers(ctx: SocketContext): void {
  const { socket, deps, access } = ctx;
  const session = deps.clients.session;

  /**
   * Runs `fn` when `sid` is this socket's own session. Otherwise HAPI's `error` event (and `onRefused`,
   * for events that ack); errors are logged, never thrown at the socket.
   */
  const onOwnSession = (event: string, fn: (call: CallContext, sid: string, data: Payload, ack: Ack) => Promise<void>, onRefused?: (ack: Ack) => void) => {
    socket.on(event, (...args: unknown[]) => {
      const data = args[0];
      const ack = ackOf(args);
      const call = ctx.call();
      void (async () => {
        if (!isObject(data) || typeof data.sid !== 'string') return onRefused?.(ack);
        const a = await access.check(call, data.sid);
        const own = a === 'ok' && (await ctx.adopt('session', data.sid));
        if (!own) {
          onRefused?.(ack);
          return ctx.emitError(a === 'not-found' ? 'session not found' : 'session access denied', a === 'not-found' ? 'not-found' : 'access-denied', 'session', data.sid);
        }
        await fn(call, data.sid, data, ack);
      })().catch((err: unknown) => {
        call.log.warn({ err, event }, 'socket event failed');
        onRefused?.(ack);
      });
    });
  };

  /** The local ids of an event, or null (with the `error` event) when there are too many. */
  const boundedLocalIds = (sid: string, v: unknown): string[] | null => {
    const ids = localIdsOf(v);
    if (ids.length <= MAX_LOCAL_IDS_PER_EVENT) return ids;
    ctx.emitError(`too many localIds (at most ${MAX_LOCAL_IDS_PER_EVENT} per event)`, 'invalid', 'session', sid);
    return null;
  };

  onOwnSession('messages-consumed', async (call, sid, data) => {
    const localIds = boundedLocalIds(sid, data.localIds);
    if (!localIds || localIds.length === 0) return;
    await session.call('markMessagesConsumed', { sessionId: sid, localIds, at: Date.now(), steered: data.steered === true || undefined }, call);
  });

  onOwnSession('messages-indeterminate', async (call, sid, data) => {
    const localIds = boundedLocalIds(sid, data.localIds);
    if (!localIds || localIds.length === 0) return;
    await session.call('setMessagesDeliveryState', { sessionId: sid, localIds, state: MessageDeliveryState.MESSAGE_DELIVERY_STATE_INDETERMINATE }, call);
  });

  const refuseSteerState = (ack: Ack) => ack?.({ ok: false });
  onOwnSession(
    'messages-steer-state',
    async (call, sid, data, ack) => {
      const state = data.state === 'queued' ? MessageDeliveryState.MESSAGE_DELIVERY_STATE_QUEUED : data.state === 'dispatching' ? MessageDeliveryState.MESSAGE_DELIVERY_STATE_DISPATCHING : null;
      const localIds = boundedLocalIds(sid, data.localIds);
      if (state === null || !localIds || localIds.length === 0) return refuseSteerState(ack);
      const changed = await session.call('setMessagesDeliveryState', { sessionId: sid, localIds, state }, call);
      ack?.({ ok: changed.localIds.length > 0 });
    },
    refuseSteerState,
  );

  onOwnSession('native-queue-message', async (call, sid, data) => {
    const { localId, text } = data;
    if (typeof localId !== 'string' || localId.length === 0 || (typeof text !== 'string' && text !== null)) return;
    // HAPI's shape of a message typed into the shared session's own app.
    const contentJson = text === null ? undefined : JSON.stringify({ role: 'user', content: { type: 'text', text }, meta: { sentFrom: 'cli', isNativeQueuedMessage: true } });
    await session.call('syncNativeQueuedMessage', { sessionId: sid, localId, contentJson }, call);
  });

  /** Re-sends this socket the messages queued for it that it may be given now (HAPI re-sends them while they wait). */
  const replay = async (call: CallContext, sid: string) => {
    const res = await session.call('listDeliverableMessages', { sessionId: sid, afterSeq: 0, limit: REPLAY_LIMIT, queuedOnly: true }, call);
    for (const m of res.messages) {
      const body = { t: 'new-message', sid, message: toHapiCliMessage(m, messageContent(m), true) };
      socket.emit('update', { id: m.id, seq: m.seq, createdAt: m.createdAt, body });
    }
  };

  onOwnSession('session-ready', async (call, sid, data) => {
    if (typeof data.time !== 'number') return;
    await replay(call, sid);
  });

  // A (re)connected CLI's first heartbeat: what was queued while it was away goes out now (once
  // per socket, so a heartbeat still costs nothing). The heartbeat's own handler answers a
  // foreign id; this one stays silent.
  const replayed = new Set<string>();
  socket.on('session-alive', (data: unknown) => {
    if (!isObject(data) || typeof data.sid !== 'string' || replayed.has(data.sid)) return;
    const sid = data.sid;
    replayed.add(sid);
    const call = ctx.call();
    void (async () => {
      if ((await access.check(call, sid)) === 'ok' && (await ctx.adopt('session', sid))) await replay(call, sid);
    })().catch((err: unknown) => call.log.warn({ err, event: 'session-alive' }, 'queued messages not re-sent'));
  });
}
