import { randomUUID } from 'node:crypto';
import { AppError } from '../../lib/errors.js';
import type { CallContext } from '../../lib/context.js';
import { metadataObject } from './documents.js';
import { DEFAULT_PAGE, MAX_PAGE, type SessionDomain } from './domain.js';
import type { SessionEvents } from './events.js';
import { readMessagesPage, type MessagesPage, type PageQuery } from './message-page.js';
import type { DeliveryState, MessageRecord, SessionRecord, SessionStore } from './store.js';

/** Local ids one call may name (HAPI's queued-state limit, also applied to the CLI's reports). */
export const MAX_LOCAL_IDS = 1000;
const MAX_ID_LENGTH = 256;

export interface QueuedState {
  queuedLocalIds: string[];
  indeterminateLocalIds: string[];
  invoked: { localId: string; invokedAt: number }[];
}

/** A shared session (HAPI's `capabilities.concurrentClients`): its own app queues messages too. */
export function isSharedSession(s: SessionRecord): boolean {
  const caps = metadataObject(s.metadataJson)?.capabilities;
  return typeof caps === 'object' && caps !== null && (caps as Record<string, unknown>).concurrentClients === true;
}

function checkLocalIds(localIds: string[]): string[] {
  if (localIds.length > MAX_LOCAL_IDS) throw new AppError('invalid_argument', `at most ${MAX_LOCAL_IDS} localIds per call`);
  return [...new Set(localIds.filter((l) => l.length > 0 && l.length <= MAX_ID_LENGTH))];
}

function checkLimit(limit: number, fallback: number): number {
  if (limit < 0 || limit > MAX_PAGE) throw new AppError('invalid_argument', `limit must be 0..${MAX_PAGE}`);
  return limit || fallback;
}

/**
 * The queue of a session's messages as HAPI runs it: the cursor pages, the CLI's backfill, and
 * what happens to a message between posting and the agent taking it (cancel, the delivery states
 * of steering and retries, a shared session's own queue, the sweep when a session ends). Every
 * method takes the caller's context first and works inside its namespace; a session of another
 * namespace answers `Session access denied` before anything is read.
 */
export class MessageQueue {
  constructor(
    private readonly store: SessionStore,
    private readonly events: SessionEvents,
    private readonly sessions: SessionDomain,
    private readonly clock: () => number = Date.now,
    private readonly newId: () => string = randomUUID,
  ) {}

  async page(ctx: CallContext, sessionId: string, q: PageQuery): Promise<MessagesPage> {
    if (q.before && q.after) throw new AppError('invalid_argument', 'before and after cursors are mutually exclusive');
    if (q.until && !q.after) throw new AppError('invalid_argument', 'until cursor requires an after cursor');
    await this.sessions.require(ctx, sessionId);
    return readMessagesPage(this.store, ctx.namespace, sessionId, { ...q, limit: checkLimit(q.limit, DEFAULT_PAGE) });
  }

  /** The CLI's backfill: what it may be given now, after a seq (held and in-between messages are not). */
  async deliverable(ctx: CallContext, sessionId: string, q: { afterSeq: number; limit: number; queuedOnly: boolean }): Promise<MessageRecord[]> {
    await this.sessions.require(ctx, sessionId);
    return this.store.deliverableMessages(ctx.namespace, sessionId, { ...q, limit: checkLimit(q.limit, MAX_PAGE), now: this.clock() });
  }

  async find(ctx: CallContext, sessionId: string, messageId: string): Promise<MessageRecord | null> {
    await this.sessions.require(ctx, sessionId);
    return messageId ? this.store.findMessage(ctx.namespace, sessionId, messageId) : null;
  }

  /** Deletes a message the agent has not taken; otherwise answers it as it is now (or none). */
  async cancel(ctx: CallContext, sessionId: string, messageId: string): Promise<{ cancelled: boolean; message: MessageRecord | null }> {
    const found = await this.find(ctx, sessionId, messageId);
    if (!found) return { cancelled: false, message: null };
    if (!(await this.store.deleteQueuedMessage(ctx.namespace, sessionId, found.id))) {
      return { cancelled: false, message: await this.store.findMessage(ctx.namespace, sessionId, found.id) };
    }
    ctx.log.info({ sessionId, messageId: found.id }, 'queued message cancelled');
    await this.events.messageCancelled(ctx, found);
    return { cancelled: true, message: null };
  }

  /** Moves queued messages to `state` where HAPI allows it; announces indeterminate and re-queued ones. */
  async setDeliveryState(ctx: CallContext, sessionId: string, localIds: string[], state: DeliveryState): Promise<string[]> {
    const ids = checkLocalIds(localIds);
    await this.sessions.require(ctx, sessionId);
    if (ids.length === 0) return [];
    const changed = await this.store.setDeliveryState(ctx.namespace, sessionId, ids, state);
    if (changed.length > 0 && state !== 'dispatching') await this.events.messagesDeliveryChanged(ctx, sessionId, changed, state);
    return changed;
  }

  async claimIndeterminate(ctx: CallContext, sessionId: string, messageId: string): Promise<MessageRecord | null> {
    await this.sessions.require(ctx, sessionId);
    return messageId ? this.store.claimIndeterminate(ctx.namespace, sessionId, messageId) : null;
  }

  /** HAPI's queued-state: queued, of unknown delivery (or being steered), or taken and when. */
  async queuedState(ctx: CallContext, sessionId: string, localIds: string[]): Promise<QueuedState> {
    const ids = checkLocalIds(localIds);
    await this.sessions.require(ctx, sessionId);
    const found = await this.store.messagesByLocalIds(ctx.namespace, sessionId, ids);
    const out: QueuedState = { queuedLocalIds: [], indeterminateLocalIds: [], invoked: [] };
    for (const m of found) {
      if (m.localId === null) continue;
      if (m.invokedAt !== null) out.invoked.push({ localId: m.localId, invokedAt: m.invokedAt });
      else if (m.deliveryState === 'queued') out.queuedLocalIds.push(m.localId);
      else out.indeterminateLocalIds.push(m.localId);
    }
    return out;
  }

  /**
   * A shared session's own queue (HAPI's native-queue-message): content stores the message, or
   * replaces the content of the one queued under that localId; none removes it. Other sessions
   * are left alone (their CLI has no such queue).
   */
  async syncNative(ctx: CallContext, sessionId: string, localId: string, contentJson: string | undefined): Promise<{ message: MessageRecord | null; removed: boolean }> {
    if (localId.length === 0 || localId.length > MAX_ID_LENGTH) throw new AppError('invalid_argument', `localId must be 1..${MAX_ID_LENGTH} characters`);
    const session = await this.sessions.require(ctx, sessionId);
    if (!isSharedSession(session)) return { message: null, removed: false };
    const ns = ctx.namespace;
    if (contentJson === undefined) {
      const found = await this.store.findMessage(ns, sessionId, localId);
      if (!found || found.localId !== localId || !(await this.store.deleteQueuedMessage(ns, sessionId, found.id))) return { message: null, removed: false };
      await this.events.messageCancelled(ctx, found);
      return { message: null, removed: true };
    }
    const now = this.clock();
    const res = await this.store.appendMessage(ns, {
      id: this.newId(),
      namespace: ns,
      sessionId,
      createdAt: now,
      localId,
      contentJson,
      invokedAt: null,
      scheduledAt: null,
      deliveryState: 'queued',
      deliveryMode: null,
    });
    if (!res) throw new AppError('not_found', 'Session not found');
    let message = res.message;
    if (!res.created) {
      if (message.invokedAt !== null) return { message, removed: false };
      message = (await this.store.replaceQueuedContent(ns, sessionId, localId, contentJson)) ?? message;
    } else if (res.firstContent) {
      await this.events.sessionUpserted(ctx, (await this.store.getSession(ns, sessionId)) ?? session);
    }
    await this.events.queuedMessageSynced(ctx, message);
    return { message, removed: false };
  }

  /** HAPI's per-session counts of messages scheduled ahead, for the session list. */
  futureScheduled(ctx: CallContext): Promise<{ sessionId: string; count: number; nextAt: number }[]> {
    return this.store.futureScheduled(ctx.namespace, this.clock());
  }

  /**
   * The session ended: the messages it was given at once but never reported taken count as
   * taken, so the web stops showing them queued (HAPI's sweep; not for a shared session, whose
   * app keeps its queue, and the caller skips a `/clear`).
   */
  async sweepOnEnd(ctx: CallContext, sessionId: string, at: number): Promise<string[]> {
    const session = await this.sessions.require(ctx, sessionId);
    if (isSharedSession(session)) return [];
    const invokedAt = at || this.clock();
    const swept = await this.store.sweepImmediateQueued(ctx.namespace, sessionId, invokedAt);
    if (swept.length > 0) await this.events.messagesConsumed(ctx, sessionId, swept, invokedAt);
    return swept;
  }
}
