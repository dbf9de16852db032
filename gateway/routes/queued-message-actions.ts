import { randomUUID } from 'node:crypto';
import type { CallContext } from '../../lib/context.js';
import { isAppError } from '../../lib/errors.js';
import { MessageDeliveryState, type Message, type Session } from '../../lib/gen/teamhub/session/v1/session.js';
import { fromJsonText } from '../../lib/json.js';
import { messageContent, toHapiCliMessage, toHapiMessage } from '../hapi/session-view.js';
import type { LiveRouteDeps } from './route-deps.js';

/**
 * What the web can do with a message the agent has not taken yet, as HAPI 0.30.7 does it
 * (hub/src/sync/messageService.ts there): cancel it, steer it into the running turn, retry one
 * whose delivery is unknown. The CLI keeps its own copy of queued messages, so cancel and retry
 * first ask every CLI socket of the session (on any gateway replica) and act on their answers
 * within HAPI's 500 ms; the session service does the stored part and announces it.
 */

/** HAPI's ack timeout for asking the CLI about a queued message. */
export const CLI_QUEUE_ACK_MS = 500;

type Json = Record<string, unknown>;
type CancelAnswer = 'consumed' | 'indeterminate' | 'in-flight' | 'removed' | 'timeout' | 'not-found';

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const QUEUED = MessageDeliveryState.MESSAGE_DELIVERY_STATE_QUEUED;
const DISPATCHING = MessageDeliveryState.MESSAGE_DELIVERY_STATE_DISPATCHING;
const INDETERMINATE = MessageDeliveryState.MESSAGE_DELIVERY_STATE_INDETERMINATE;
const stateOf = (m: Message) => m.deliveryState ?? QUEUED;

/** A shared (concurrentClients) session: its own app keeps a queue of its own. */
export function isShared(session: Session): boolean {
  const md = fromJsonText(session.metadataJson);
  return isObject(md) && isObject(md.capabilities) && md.capabilities.concurrentClients === true;
}

/** HAPI's steering support: Codex and Pi, and Cursor unless it runs the older stream-json protocol. */
export function supportsSteering(session: Session): boolean {
  const md = fromJsonText(session.metadataJson);
  if (!isObject(md)) return false;
  if (md.flavor === 'codex' || md.flavor === 'pi') return true;
  if (md.flavor !== 'cursor') return false;
  if (md.cursorSessionProtocol === 'stream-json') return false;
  return !(!md.cursorSessionProtocol && md.cursorSessionId);
}

export class QueuedMessageActions {
  constructor(
    private readonly deps: LiveRouteDeps,
    private readonly ctx: CallContext,
    private readonly session: Session,
  ) {}

  private get sid(): string {
    return this.session.id;
  }

  private find(messageId: string): Promise<Message | undefined> {
    return this.deps.clients.session.call('findMessage', { sessionId: this.sid, messageId }, this.ctx).then((r) => r.message);
  }

  private async cancelStored(id: string): Promise<{ cancelled: boolean; message?: Message }> {
    return this.deps.clients.session.call('cancelQueuedMessage', { sessionId: this.sid, messageId: id }, this.ctx);
  }

  private async setState(localId: string, state: MessageDeliveryState): Promise<boolean> {
    const r = await this.deps.clients.session.call('setMessagesDeliveryState', { sessionId: this.sid, localIds: [localId], state }, this.ctx);
    return r.localIds.length > 0;
  }

  private countCliSockets(): Promise<number> {
    return this.deps.live.askSessionRoom(this.ctx.namespace, this.sid, null, 0).then((a) => a.sockets);
  }

  /** `update {t:"cancel-queued-message"}` to every CLI socket of the room; their answers folded as HAPI does. */
  private async askCliToCancel(m: Message, localId: string): Promise<{ sockets: number; answer: CancelAnswer }> {
    const update = { id: randomUUID(), seq: 0, createdAt: Date.now(), body: { t: 'cancel-queued-message', sid: this.sid, messageId: m.id, localId } };
    const a = await this.deps.live.askSessionRoom(this.ctx.namespace, this.sid, update, CLI_QUEUE_ACK_MS);
    const any = (k: string) => a.acks.some((x) => isObject(x) && x[k] === true);
    if (any('consumed')) return { sockets: a.sockets, answer: 'consumed' };
    if (any('indeterminate')) return { sockets: a.sockets, answer: 'indeterminate' };
    if (any('inFlight')) return { sockets: a.sockets, answer: 'in-flight' };
    if (any('removed')) return { sockets: a.sockets, answer: 'removed' };
    return { sockets: a.sockets, answer: a.timedOut || a.sockets === 0 ? 'timeout' : 'not-found' };
  }

  /** The CLI says it took the message: stamp it (announcing messages-consumed) and answer what it is now. */
  private async recordConsumed(m: Message, localId: string): Promise<Json> {
    await this.deps.clients.session.call('markMessagesConsumed', { sessionId: this.sid, localIds: [localId], at: Date.now() }, this.ctx);
    const now = await this.find(m.id);
    return now?.invokedAt !== undefined ? { status: 'invoked', message: toHapiMessage(now) } : { status: 'cancelled', localId };
  }

  /** Marks it of unknown delivery; when it had moved on meanwhile, what it is now. */
  private async indeterminateOrSettled(m: Message, localId: string): Promise<Json> {
    if (await this.setState(localId, INDETERMINATE)) return { status: 'busy', localId };
    const settled = await this.find(m.id);
    if (!settled) return { status: 'cancelled', localId };
    if (settled.invokedAt !== undefined) return { status: 'invoked', message: toHapiMessage(settled) };
    return { status: 'busy', localId };
  }

  /** Deletes the stored message; when it was taken meanwhile, says so. */
  private async deleteStored(m: Message, localId: string | null): Promise<Json> {
    const r = await this.cancelStored(m.id);
    if (r.cancelled || !r.message) return { status: 'cancelled', localId };
    if (r.message.invokedAt !== undefined) return { status: 'invoked', message: toHapiMessage(r.message) };
    return { status: 'busy', localId: localId ?? '' };
  }

  /** `DELETE /api/sessions/:id/messages/:messageId`: `{status: cancelled | invoked | busy}`. */
  async cancel(messageId: string): Promise<Json> {
    const m = await this.find(messageId);
    if (!m) return { status: 'cancelled', localId: null };
    if (m.invokedAt !== undefined) return { status: 'invoked', message: toHapiMessage(m) };
    const localId = m.localId ?? null;
    if (localId === null) return this.deleteStored(m, null);
    const shared = isShared(this.session);
    const future = m.scheduledAt !== undefined && m.scheduledAt > Date.now();
    // A shared session's own app holds the queue: with nobody connected to ask, nobody knows.
    if (shared && !future && (await this.countCliSockets()) === 0) {
      await this.setState(localId, INDETERMINATE);
      return { status: 'busy', localId };
    }
    const state = stateOf(m);
    if (state === DISPATCHING) {
      const { answer } = await this.askCliToCancel(m, localId);
      if (answer === 'consumed') return this.recordConsumed(m, localId);
      return this.indeterminateOrSettled(m, localId);
    }
    if (state === INDETERMINATE) {
      const { sockets, answer } = await this.askCliToCancel(m, localId);
      if (answer === 'consumed') return this.recordConsumed(m, localId);
      if (answer === 'in-flight' || answer === 'indeterminate' || (answer === 'timeout' && sockets > 0) || (shared && answer !== 'removed')) return { status: 'busy', localId };
      return this.deleteStored(m, localId);
    }
    // Still plainly queued. One scheduled for later never reached the CLI: only the store has it.
    if (future) return this.deleteStored(m, localId);
    const { sockets, answer } = await this.askCliToCancel(m, localId);
    if (sockets === 0) return this.deleteStored(m, localId);
    if (answer === 'consumed') return this.recordConsumed(m, localId);
    if (answer === 'in-flight' || answer === 'indeterminate') return { status: 'busy', localId };
    if (answer === 'not-found' || answer === 'timeout') return this.indeterminateOrSettled(m, localId);
    return this.deleteStored(m, localId);
  }

  /** `POST …/messages/:messageId/steer`: the CLI's `steer-queued-message` RPC. */
  async steer(messageId: string): Promise<Json> {
    if (!supportsSteering(this.session)) return { status: 'failed', error: 'Steering is only supported for Pi, Codex, and Cursor ACP sessions', localId: null };
    const state = fromJsonText(this.session.agentStateJson);
    if (isObject(state) && state.controlledByUser === true && !isShared(this.session)) return { status: 'failed', error: 'Steering is only available for remote sessions', localId: null };
    const m = await this.find(messageId);
    if (!m) return { status: 'failed', error: 'Message not found', localId: null };
    if (m.invokedAt !== undefined) {
      const { deliveryState: _hidden, ...message } = toHapiMessage(m);
      return { status: 'invoked', message };
    }
    const localId = m.localId;
    if (localId === undefined) return { status: 'failed', error: 'Message has no localId', localId: null };
    if (m.scheduledAt !== undefined) return { status: 'failed', error: 'Scheduled messages cannot be steered', localId };
    const method = 'steer-queued-message';
    try {
      const result = await this.deps.live.rpcCall(this.ctx.namespace, this.sid, method, { localId }, this.deps.cfg.rpcTimeoutMs);
      if (isObject(result) && result.steered === true) return { status: 'steered', localId };
      const error = isObject(result) && typeof result.error === 'string' ? result.error : 'Steer failed';
      return { status: 'failed', error, localId };
    } catch (err) {
      return { status: 'failed', error: rpcErrorText(err, `${this.sid}:${method}`), localId };
    }
  }

  /** `POST …/messages/:messageId/retry` of a message whose delivery is unknown. */
  async retry(messageId: string, inFlight: Set<string>): Promise<Json> {
    const m = await this.find(messageId);
    if (!m) return { status: 'not-found' };
    if (m.invokedAt !== undefined) return { status: 'invoked', message: toHapiMessage(m) };
    if (stateOf(m) === QUEUED) return { status: 'already-queued', localId: m.localId ?? null };
    const localId = m.localId;
    if (localId === undefined) return { status: 'not-found' };
    // One retry per message at a time on this replica; the service's claim guards across replicas.
    const key = JSON.stringify([this.ctx.namespace, this.sid, localId]);
    if (inFlight.has(key)) return { status: 'retry-unavailable', localId };
    inFlight.add(key);
    try {
      return await this.retryClaimed(m, localId);
    } finally {
      inFlight.delete(key);
    }
  }

  private async retryClaimed(m: Message, localId: string): Promise<Json> {
    // Exactly one CLI must take it back, or two could run it.
    if ((await this.countCliSockets()) !== 1) return { status: 'retry-unavailable', localId };
    const { answer } = await this.askCliToCancel(m, localId);
    if (answer === 'consumed') {
      const settled = await this.recordConsumed(m, localId);
      return settled.status === 'invoked' ? settled : { status: 'not-found' };
    }
    if (answer === 'in-flight' || answer === 'timeout') return { status: 'retry-unavailable', localId };
    if (isShared(this.session) && answer !== 'removed') return { status: 'retry-unavailable', localId };
    const refreshed = await this.find(m.id);
    if (!refreshed) return { status: 'not-found' };
    if (refreshed.invokedAt !== undefined) return { status: 'invoked', message: toHapiMessage(refreshed) };
    if (stateOf(refreshed) === DISPATCHING && !(await this.setState(localId, INDETERMINATE))) return { status: 'retry-unavailable', localId };
    const claimed = (await this.deps.clients.session.call('claimIndeterminateMessage', { sessionId: this.sid, messageId: m.id }, this.ctx)).message;
    if (!claimed?.localId) return { status: 'not-found' };
    const update = {
      id: claimed.id,
      seq: claimed.seq,
      createdAt: claimed.createdAt,
      body: { t: 'retry-queued-message', sid: this.sid, messageId: claimed.id, localId: claimed.localId, message: toHapiCliMessage(claimed, messageContent(claimed), true) },
    };
    const a = await this.deps.live.askSessionRoom(this.ctx.namespace, this.sid, update, CLI_QUEUE_ACK_MS);
    if (!a.acks.some((x) => isObject(x) && x.accepted === true)) {
      await this.setState(localId, INDETERMINATE);
      return { status: 'retry-unavailable', localId };
    }
    if (!(await this.setState(localId, QUEUED))) {
      const settled = await this.find(m.id);
      if (settled?.invokedAt !== undefined) return { status: 'invoked', message: toHapiMessage(settled) };
      return { status: 'retry-unavailable', localId };
    }
    return { status: 'retried', localId };
  }
}

/** HAPI's texts for an RPC that did not reach the CLI. */
function rpcErrorText(err: unknown, fullMethod: string): string {
  if (isAppError(err, 'unavailable') && err.details.code === 'rpc_target_missing') return `RPC handler not registered: ${fullMethod}`;
  if (isAppError(err, 'deadline_exceeded')) return 'operation has timed out';
  return err instanceof Error ? err.message : 'Steer failed';
}
