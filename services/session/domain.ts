import { randomUUID } from 'node:crypto';
import { AppError } from '../../lib/errors.js';
import type { CallContext } from '../../lib/context.js';
import { checkSize, DEFAULT_CONTENT_LIMITS, DEFAULT_MAX_SESSIONS_PER_NAMESPACE, MAX_CONSUMED_IDS, MAX_SESSION_LIST, TOO_MANY_CONSUMED_IDS, type ContentLimits } from '../../lib/limits.js';
import { isValidAgentState, isValidSessionMetadata, metadataObject, pendingRequestCount } from './documents.js';
import type { SessionEvents } from './events.js';
import { dueAtOf, type DeliveryMode, type DerivedFields, type MessagePage, type MessageRecord, type SessionListQuery, type SessionRecord, type SessionStore, type VersionedDoc } from './store.js';

export interface CreateSessionInput {
  id?: string;
  tag: string;
  metadataJson?: string;
  agentStateJson?: string;
  model?: string;
  modelReasoningEffort?: string;
  effort?: string;
}

export interface CasOutcome {
  ok: boolean;
  version: number;
  json: string | null;
  session: SessionRecord;
}

export interface AppendInput {
  sessionId: string;
  /**
   * The message as JSON text, kept opaque: the gateway, its only producer, writes it with
   * JSON.stringify, so the service neither parses nor checks it (one parse fewer per message).
   */
  contentJson: string;
  localId?: string;
  createdAt?: number;
  invoked: boolean;
  origin?: string;
  /** Web messages: held until then when it lies ahead (needs a localId). */
  scheduledAt?: number;
  /** Web messages: the delivery the user asked for; HAPI's rule decides what is kept. */
  deliveryMode?: DeliveryMode;
  /** Web messages: refused while no CLI is live (HAPI's 409 session_inactive). */
  requireActive?: boolean;
}

/** Fair-share limits of the session service (TEAMHUB_MAX_* in the README). */
export interface SessionLimits extends ContentLimits {
  maxSessionsPerNamespace: number;
}

export const DEFAULT_SESSION_LIMITS: Readonly<SessionLimits> = Object.freeze({ ...DEFAULT_CONTENT_LIMITS, maxSessionsPerNamespace: DEFAULT_MAX_SESSIONS_PER_NAMESPACE });

export const MAX_PAGE = 200;
export const DEFAULT_PAGE = 50;
const MAX_ID_LENGTH = 256;
const RENAME_ATTEMPTS = 8;
/** HAPI's text for deleting an active session (its web shows it as is). */
const ACTIVE_DELETE = 'Cannot delete active session. Archive it first.';

function parseJson(text: string, field: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new AppError('invalid_argument', `${field} is not valid JSON`);
  }
}

function checkId(value: string, field: string): void {
  if (value.length === 0 || value.length > MAX_ID_LENGTH) throw new AppError('invalid_argument', `${field} must be 1..${MAX_ID_LENGTH} characters`);
}

/**
 * Sessions and messages with HAPI's semantics: get-or-create by (namespace, tag), version CAS on
 * metadata and agent state, per-session message seq, localId idempotency. Every method takes the
 * caller's context first and works inside `ctx.namespace`: another namespace's id is
 * `permission_denied`, never data.
 */
export class SessionDomain {
  constructor(
    private readonly store: SessionStore,
    private readonly events: SessionEvents,
    private readonly clock: () => number = Date.now,
    private readonly newId: () => string = randomUUID,
    /** Told the due time of each scheduled message stored, so delivery is looked at then. */
    private readonly onScheduled: (at: number) => void = () => {},
    private readonly limits: SessionLimits = DEFAULT_SESSION_LIMITS,
  ) {}

  /** HAPI's access rule: own namespace → session; another namespace → 403; nowhere → 404. */
  async require(ctx: CallContext, id: string): Promise<SessionRecord> {
    const s = id ? await this.store.getSession(ctx.namespace, id) : null;
    if (s) return s;
    return this.accessError(ctx, id);
  }

  private async accessError(ctx: CallContext, id: string): Promise<never> {
    const owner = id ? await this.store.ownerOf(id) : null;
    if (owner !== null && owner !== ctx.namespace) throw new AppError('permission_denied', 'Session access denied');
    throw new AppError('not_found', 'Session not found');
  }

  async createOrLoad(ctx: CallContext, input: CreateSessionInput): Promise<{ session: SessionRecord; created: boolean }> {
    checkId(input.tag, 'tag');
    if (input.id !== undefined) checkId(input.id, 'id');
    checkSize('Metadata', input.metadataJson, this.limits.maxDocumentBytes);
    checkSize('Agent state', input.agentStateJson, this.limits.maxDocumentBytes);
    const metadata = input.metadataJson === undefined ? null : parseJson(input.metadataJson, 'metadata_json');
    const agentState = input.agentStateJson === undefined ? null : parseJson(input.agentStateJson, 'agent_state_json');
    const existing = await this.findExisting(ctx, input);
    if (existing) return { session: existing, created: false };
    // A soft limit (two creates at once may both pass), enough to stop one namespace filling the store.
    if ((await this.store.countSessions(ctx.namespace)) >= this.limits.maxSessionsPerNamespace) {
      throw new AppError('resource_exhausted', `Too many sessions in this namespace (at most ${this.limits.maxSessionsPerNamespace})`);
    }
    const now = this.clock();
    const rec: SessionRecord = {
      id: input.id ?? this.newId(),
      namespace: ctx.namespace,
      tag: input.tag,
      seq: 0,
      createdAt: now,
      updatedAt: now,
      active: false,
      activeAt: now,
      metadataJson: isValidSessionMetadata(metadata) ? input.metadataJson! : null,
      metadataVersion: 1,
      agentStateJson: isValidAgentState(agentState) ? input.agentStateJson! : null,
      agentStateVersion: 1,
      thinking: false,
      thinkingAt: 0,
      activeTurnStartedAt: null,
      backgroundTaskCount: 0,
      todosUpdatedAt: 0,
      teamStateUpdatedAt: 0,
      model: input.model ?? null,
      modelReasoningEffort: input.modelReasoningEffort ?? null,
      effort: input.effort ?? null,
      serviceTier: null,
      hasConversationContent: false,
      pinned: false,
      todosJson: null,
      teamStateJson: null,
      lastMessageSeq: 0,
      archived: false,
      permissionMode: null,
      collaborationMode: null,
      copilotAgentMode: null,
      globalPinned: false,
      pendingRequestsCount: isValidAgentState(agentState) ? pendingRequestCount(agentState) : 0,
    };
    if (await this.store.insertSession(rec)) {
      ctx.log.info({ sessionId: rec.id }, 'session created');
      await this.events.sessionUpserted(ctx, rec, { created: true });
      return { session: rec, created: true };
    }
    // Lost a race on (namespace, tag) or id: the winner's record is the answer (or a conflict).
    const winner = await this.findExisting(ctx, input);
    if (winner) return { session: winner, created: false };
    throw new AppError('conflict', 'Session id is already bound to a different session');
  }

  /** HAPI's identity rules: the tag first (per namespace), then the requested id (in any namespace). */
  private async findExisting(ctx: CallContext, input: CreateSessionInput): Promise<SessionRecord | null> {
    const byTag = await this.store.getSessionByTag(ctx.namespace, input.tag);
    if (byTag) {
      if (input.id !== undefined && byTag.id !== input.id) throw new AppError('conflict', 'Session tag is already bound to a different id');
      return byTag;
    }
    if (input.id !== undefined && (await this.store.ownerOf(input.id)) !== null) {
      throw new AppError('conflict', 'Session id is already bound to a different session');
    }
    return null;
  }

  get(ctx: CallContext, id: string): Promise<SessionRecord> {
    return this.require(ctx, id);
  }

  /**
   * The namespace's sessions, ordered and cut as `query` says. The store query itself is bounded:
   * no limit (0) or a larger one reads at most MAX_SESSION_LIST rows, so a namespace with many
   * sessions never makes the service load them all.
   */
  async list(ctx: CallContext, query: SessionListQuery = { order: 'updatedAt', limit: 0 }): Promise<SessionRecord[]> {
    if (query.limit < 0) throw new AppError('invalid_argument', 'limit must not be negative');
    const limit = query.limit === 0 ? MAX_SESSION_LIST : Math.min(query.limit, MAX_SESSION_LIST);
    return this.store.listSessions(ctx.namespace, { ...query, limit });
  }

  async updateDoc(ctx: CallContext, id: string, doc: VersionedDoc, expectedVersion: number, json: string | undefined, origin?: string): Promise<CasOutcome> {
    checkSize(doc === 'metadata' ? 'Metadata' : 'Agent state', json, this.limits.maxDocumentBytes);
    const value = json === undefined ? null : parseJson(json, 'json');
    const derived: DerivedFields = doc === 'agentState' ? { pendingRequestsCount: pendingRequestCount(value) } : {};
    const updated = await this.store.casDocument(ctx.namespace, id, doc, expectedVersion, json ?? null, this.clock(), derived);
    if (updated) {
      await this.events.sessionUpserted(ctx, updated, { changed: doc, origin });
      return { ok: true, ...docOf(updated, doc), session: updated };
    }
    const current = await this.require(ctx, id);
    return { ok: false, ...docOf(current, doc), session: current };
  }

  async setActive(ctx: CallContext, id: string, active: boolean, at: number): Promise<{ session: SessionRecord; changed: boolean }> {
    const when = at || this.clock();
    const patch = active ? { active: true, activeAt: when } : { active: false, thinking: false, activeTurnStartedAt: null };
    const updated = await this.store.patchSession(ctx.namespace, id, patch, !active);
    if (!updated) return { session: await this.require(ctx, id), changed: false };
    ctx.log.info({ sessionId: id, active }, active ? 'session became active' : 'session became inactive');
    await this.events.sessionUpserted(ctx, updated);
    return { session: updated, changed: true };
  }

  /**
   * The agent's turn started or ended. Writes only when the flag flips and the session is
   * active (an inactive session is never thinking), then publishes the full session, so a page
   * never sees a stale `thinking` from a later, unrelated update.
   */
  async setThinking(ctx: CallContext, id: string, thinking: boolean, at: number): Promise<{ session: SessionRecord; changed: boolean }> {
    const current = await this.require(ctx, id);
    if (current.thinking === thinking || (thinking && !current.active)) return { session: current, changed: false };
    const updated = await this.store.patchSession(ctx.namespace, id, { thinking, thinkingAt: at || this.clock() }, true);
    if (!updated) return { session: await this.require(ctx, id), changed: false };
    await this.events.sessionUpserted(ctx, updated);
    return { session: updated, changed: true };
  }

  async end(ctx: CallContext, id: string, reason: string): Promise<SessionRecord> {
    const patch = { active: false, thinking: false, activeTurnStartedAt: null, backgroundTaskCount: 0 };
    const updated = await this.store.patchSession(ctx.namespace, id, patch, true);
    const session = updated ?? (await this.require(ctx, id));
    ctx.log.info({ sessionId: id, reason: reason || undefined }, 'session ended');
    if (updated) await this.events.sessionUpserted(ctx, updated);
    await this.events.sessionEnded(ctx, id, reason || undefined);
    return session;
  }

  /** Writes `metadata.name` with a CAS loop on metadataVersion. */
  async rename(ctx: CallContext, id: string, name: string): Promise<SessionRecord> {
    for (let i = 0; i < RENAME_ATTEMPTS; i++) {
      const s = await this.require(ctx, id);
      const md = metadataObject(s.metadataJson);
      if (md === null) throw new AppError('failed_precondition', 'Session has no metadata');
      md.name = name;
      const updated = await this.store.casDocument(ctx.namespace, id, 'metadata', s.metadataVersion, JSON.stringify(md), this.clock());
      if (updated) {
        await this.events.sessionUpserted(ctx, updated, { changed: 'metadata' });
        return updated;
      }
    }
    throw new AppError('conflict', 'Session metadata changed concurrently; retry');
  }

  async archive(ctx: CallContext, id: string): Promise<SessionRecord> {
    await this.require(ctx, id);
    const updated = await this.store.patchSession(ctx.namespace, id, { archived: true, active: false, thinking: false, updatedAt: this.clock() });
    if (!updated) return this.accessError(ctx, id);
    ctx.log.info({ sessionId: id }, 'session archived');
    await this.events.sessionUpserted(ctx, updated);
    return updated;
  }

  async delete(ctx: CallContext, id: string): Promise<void> {
    const s = await this.require(ctx, id);
    if (s.active) throw new AppError('failed_precondition', ACTIVE_DELETE);
    // Session first, so nothing can be appended any more; then its messages.
    if (!(await this.store.deleteInactiveSession(ctx.namespace, id))) {
      const again = await this.require(ctx, id);
      if (again.active) throw new AppError('failed_precondition', ACTIVE_DELETE);
      throw new AppError('conflict', 'Session changed concurrently; retry');
    }
    await this.store.deleteMessages(ctx.namespace, id);
    ctx.log.info({ sessionId: id }, 'session deleted');
    await this.events.sessionRemoved(ctx, id);
  }

  /**
   * Stores a message with the next seq, or returns the stored one for a repeated localId. One
   * call answers HAPI's access errors too (403 another namespace's session, 404 none), so the
   * gateway needs no lookup before it.
   */
  async appendMessage(ctx: CallContext, input: AppendInput): Promise<{ message: MessageRecord; created: boolean }> {
    checkSize('Message', input.contentJson, this.limits.maxMessageBytes);
    const now = this.clock();
    // HAPI never dates a message into the future: a client clock ahead is clamped to ours.
    const createdAt = input.createdAt ? Math.min(input.createdAt, now) : now;
    const localId = input.localId ? input.localId : null;
    const scheduledAt = input.scheduledAt ?? null;
    if (scheduledAt !== null && localId === null) throw new AppError('invalid_argument', 'scheduledAt requires localId');
    let deliveryMode: DeliveryMode | null = null;
    if (input.requireActive || input.deliveryMode !== undefined) {
      const session = await this.require(ctx, input.sessionId);
      if (input.requireActive && !session.active) throw new AppError('failed_precondition', 'Session is inactive', { details: { hapiCode: 'session_inactive' } });
      if (input.deliveryMode !== undefined) deliveryMode = effectiveDeliveryMode(session, input.deliveryMode, scheduledAt);
    }
    const res = await this.store.appendMessage(ctx.namespace, {
      id: this.newId(),
      namespace: ctx.namespace,
      sessionId: input.sessionId,
      createdAt,
      localId,
      contentJson: input.contentJson,
      invokedAt: input.invoked ? createdAt : null,
      scheduledAt,
      deliveryState: 'queued',
      deliveryMode,
    });
    if (!res) return this.accessError(ctx, input.sessionId);
    if (res.created) {
      ctx.log.debug({ sessionId: input.sessionId, seq: res.message.seq }, 'message appended');
      const due = dueAtOf(res.message);
      if (due !== null) this.onScheduled(due);
      if (res.firstContent) {
        const s = await this.store.getSession(ctx.namespace, input.sessionId);
        if (s) await this.events.sessionUpserted(ctx, s, { origin: input.origin });
      }
      await this.events.messageAppended(ctx, res.message, input.origin);
    }
    return { message: res.message, created: res.created };
  }

  async listMessages(ctx: CallContext, sessionId: string, q: { afterSeq?: number; beforeSeq?: number; limit: number }): Promise<{ messages: MessageRecord[]; hasMore: boolean }> {
    if (q.afterSeq !== undefined && q.beforeSeq !== undefined) throw new AppError('invalid_argument', 'give after_seq or before_seq, not both');
    if (q.limit < 0 || q.limit > MAX_PAGE) throw new AppError('invalid_argument', `limit must be 0..${MAX_PAGE}`);
    await this.require(ctx, sessionId);
    const limit = q.limit || DEFAULT_PAGE;
    const page: MessagePage =
      q.afterSeq !== undefined ? { afterSeq: q.afterSeq, limit } : { beforeSeq: q.beforeSeq ?? Number.MAX_SAFE_INTEGER, limit };
    return this.store.listMessages(ctx.namespace, sessionId, page);
  }

  async markConsumed(ctx: CallContext, sessionId: string, localIds: string[], at: number, steered = false): Promise<{ localIds: string[]; invokedAt: number }> {
    if (localIds.length > MAX_CONSUMED_IDS) throw new AppError('invalid_argument', TOO_MANY_CONSUMED_IDS);
    await this.require(ctx, sessionId);
    const invokedAt = at || this.clock();
    const stamped = localIds.length === 0 ? [] : await this.store.markConsumed(ctx.namespace, sessionId, localIds, invokedAt);
    if (stamped.length > 0) await this.events.messagesConsumed(ctx, sessionId, stamped, invokedAt, steered);
    return { localIds: stamped, invokedAt };
  }
}

/**
 * HAPI's delivery rule for a web message: steering (into the running turn) is kept only for Pi
 * sessions and never for a scheduled message; everything else is queued.
 */
export function effectiveDeliveryMode(session: SessionRecord, requested: DeliveryMode, scheduledAt: number | null): DeliveryMode {
  if (requested !== 'steer' || scheduledAt !== null) return 'queue';
  return metadataObject(session.metadataJson)?.flavor === 'pi' ? 'steer' : 'queue';
}

function docOf(s: SessionRecord, doc: VersionedDoc): { version: number; json: string | null } {
  return doc === 'metadata' ? { version: s.metadataVersion, json: s.metadataJson } : { version: s.agentStateVersion, json: s.agentStateJson };
}
