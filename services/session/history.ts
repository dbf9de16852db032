import { randomUUID } from 'node:crypto';
import { AppError } from '../../lib/errors.js';
import type { CallContext } from '../../lib/context.js';
import type { SessionDomain } from './domain.js';
import type { SessionEvents } from './events.js';
import type { ReplacementMessage, SessionStore } from './store.js';

/** Most messages a rewind may store in place of the removed ones (the CLI's transcript). */
export const MAX_REPLACEMENTS = 1000;

/**
 * The conversation-history operations behind HAPI's fork and rewind: what must hold before the
 * CLI is asked (no queued message, the boundary invoked), cutting the stored history after a
 * rewind, copying it into a fork's child, and an export's size. Messages stay opaque JSON text.
 */
export class ConversationHistory {
  constructor(
    private readonly store: SessionStore,
    private readonly events: SessionEvents,
    private readonly sessions: Pick<SessionDomain, 'require'>,
    private readonly newId: () => string = randomUUID,
  ) {}

  async check(ctx: CallContext, sessionId: string, boundaryLocalId?: string): Promise<{ queued: number; boundaryInvoked: boolean }> {
    await this.sessions.require(ctx, sessionId);
    return this.store.historyState(ctx.namespace, sessionId, boundaryLocalId);
  }

  /** Rewind: drops the message `fromLocalId` and everything after it, stores the replacements, tells clients. */
  async truncate(ctx: CallContext, sessionId: string, fromLocalId: string, replacements: ReplacementMessage[], reason: string): Promise<{ deleted: number; inserted: number }> {
    if (!fromLocalId) throw new AppError('invalid_argument', 'from_local_id is required');
    if (replacements.length > MAX_REPLACEMENTS) throw new AppError('invalid_argument', `at most ${MAX_REPLACEMENTS} replacement messages`);
    await this.sessions.require(ctx, sessionId);
    const res = await this.store.truncateMessagesFrom(ctx.namespace, sessionId, fromLocalId, replacements, this.newId);
    if (!res) throw new AppError('not_found', `Message not found for localId: ${fromLocalId}`);
    ctx.log.info({ sessionId, deleted: res.deleted, inserted: res.inserted }, 'messages truncated');
    await this.events.messagesInvalidated(ctx, sessionId, reason, fromLocalId);
    return res;
  }

  /** Fork: copies the invoked transcript (before `beforeLocalId` when given) into the child. */
  async copy(ctx: CallContext, fromId: string, toId: string, beforeLocalId?: string): Promise<{ copied: number; localIds: string[] }> {
    if (fromId === toId) throw new AppError('invalid_argument', 'a session cannot be copied into itself');
    await this.sessions.require(ctx, fromId);
    await this.sessions.require(ctx, toId);
    const res = await this.store.copyInvokedMessages(ctx.namespace, fromId, toId, beforeLocalId, this.newId);
    if (res === null) throw new AppError('not_found', 'Fork boundary message not found');
    if (res.copied > 0) {
      ctx.log.info({ sessionId: toId, from: fromId, copied: res.copied }, 'messages copied');
      const child = await this.store.getSession(ctx.namespace, toId);
      if (child) await this.events.sessionUpserted(ctx, child);
    }
    return res;
  }

  async stats(ctx: CallContext, sessionId: string): Promise<{ count: number; contentBytes: number }> {
    await this.sessions.require(ctx, sessionId);
    return this.store.messageStats(ctx.namespace, sessionId);
  }
}
