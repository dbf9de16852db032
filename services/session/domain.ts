import { randomUUID } from 'node:crypto';
import { AppError } from '../../lib/errors.js';
import type { Namespace } from '../../lib/namespace.js';
import { isValidAgentState, isValidSessionMetadata } from '../../lib/hapi/session-view.js';
import type { SessionEvents } from './events.js';
import type { MessagePage, MessageRecord, SessionRecord, SessionStore, VersionedDoc } from './store.js';

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
  contentJson: string;
  localId?: string;
  createdAt?: number;
  invoked: boolean;
  origin?: string;
}

export const MAX_PAGE = 200;
export const DEFAULT_PAGE = 50;
const MAX_ID_LENGTH = 256;
const RENAME_ATTEMPTS = 8;

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
 * metadata and agent state, per-session message seq, localId idempotency. Every method checks
 * the session's namespace first: another namespace's id is `permission_denied`, never data.
 */
export class SessionDomain {
  constructor(
    private readonly store: SessionStore,
    private readonly events: SessionEvents,
    private readonly clock: () => number = Date.now,
    private readonly newId: () => string = randomUUID,
  ) {}

  /** HAPI's access rule: own namespace → session; another namespace → 403; nowhere → 404. */
  async require(ns: Namespace, id: string): Promise<SessionRecord> {
    const s = id ? await this.store.getSession(ns, id) : null;
    if (s) return s;
    return this.accessError(ns, id);
  }

  private async accessError(ns: Namespace, id: string): Promise<never> {
    const owner = id ? await this.store.ownerOf(id) : null;
    if (owner !== null && owner !== ns) throw new AppError('permission_denied', 'Session access denied');
    throw new AppError('not_found', 'Session not found');
  }

  async createOrLoad(ns: Namespace, input: CreateSessionInput): Promise<{ session: SessionRecord; created: boolean }> {
    checkId(input.tag, 'tag');
    if (input.id !== undefined) checkId(input.id, 'id');
    const metadata = input.metadataJson === undefined ? null : parseJson(input.metadataJson, 'metadata_json');
    const agentState = input.agentStateJson === undefined ? null : parseJson(input.agentStateJson, 'agent_state_json');
    const existing = await this.findExisting(ns, input);
    if (existing) return { session: existing, created: false };
    const now = this.clock();
    const rec: SessionRecord = {
      id: input.id ?? this.newId(),
      namespace: ns,
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
    };
    if (await this.store.insertSession(rec)) {
      await this.events.sessionAdded(rec);
      return { session: rec, created: true };
    }
    // Lost a race on (namespace, tag) or id: the winner's record is the answer (or a conflict).
    const winner = await this.findExisting(ns, input);
    if (winner) return { session: winner, created: false };
    throw new AppError('conflict', 'Session id is already bound to a different session');
  }

  /** HAPI's identity rules: the tag first (per namespace), then the requested id (in any namespace). */
  private async findExisting(ns: Namespace, input: CreateSessionInput): Promise<SessionRecord | null> {
    const byTag = await this.store.getSessionByTag(ns, input.tag);
    if (byTag) {
      if (input.id !== undefined && byTag.id !== input.id) throw new AppError('conflict', 'Session tag is already bound to a different id');
      return byTag;
    }
    if (input.id !== undefined && (await this.store.ownerOf(input.id)) !== null) {
      throw new AppError('conflict', 'Session id is already bound to a different session');
    }
    return null;
  }

  get(ns: Namespace, id: string): Promise<SessionRecord> {
    return this.require(ns, id);
  }

  list(ns: Namespace): Promise<SessionRecord[]> {
    return this.store.listSessions(ns);
  }

  async updateDoc(ns: Namespace, id: string, doc: VersionedDoc, expectedVersion: number, json: string | undefined, origin?: string): Promise<CasOutcome> {
    if (json !== undefined) parseJson(json, 'json');
    const updated = await this.store.casDocument(ns, id, doc, expectedVersion, json ?? null, this.clock());
    if (updated) {
      await this.events.sessionUpdated(updated, origin, doc);
      return { ok: true, ...docOf(updated, doc), session: updated };
    }
    const current = await this.require(ns, id);
    return { ok: false, ...docOf(current, doc), session: current };
  }

  async setActive(ns: Namespace, id: string, active: boolean, at: number): Promise<{ session: SessionRecord; changed: boolean }> {
    const when = at || this.clock();
    const patch = active ? { active: true, activeAt: when } : { active: false, thinking: false, activeTurnStartedAt: null };
    const updated = await this.store.patchSession(ns, id, patch, !active);
    if (!updated) return { session: await this.require(ns, id), changed: false };
    await this.events.sessionUpdated(updated);
    return { session: updated, changed: true };
  }

  /**
   * The agent's turn started or ended. Writes only when the flag flips and the session is
   * active (an inactive session is never thinking), then publishes the full session, so a page
   * never sees a stale `thinking` from a later, unrelated update.
   */
  async setThinking(ns: Namespace, id: string, thinking: boolean, at: number): Promise<{ session: SessionRecord; changed: boolean }> {
    const current = await this.require(ns, id);
    if (current.thinking === thinking || (thinking && !current.active)) return { session: current, changed: false };
    const updated = await this.store.patchSession(ns, id, { thinking, thinkingAt: at || this.clock() }, true);
    if (!updated) return { session: await this.require(ns, id), changed: false };
    await this.events.sessionUpdated(updated);
    return { session: updated, changed: true };
  }

  async end(ns: Namespace, id: string, reason: string): Promise<SessionRecord> {
    const patch = { active: false, thinking: false, activeTurnStartedAt: null, backgroundTaskCount: 0 };
    const updated = await this.store.patchSession(ns, id, patch, true);
    const session = updated ?? (await this.require(ns, id));
    if (updated) await this.events.sessionUpdated(updated);
    await this.events.sessionEnded(ns, id, reason || undefined);
    return session;
  }

  /** Writes `metadata.name` with a CAS loop on metadataVersion. */
  async rename(ns: Namespace, id: string, name: string): Promise<SessionRecord> {
    for (let i = 0; i < RENAME_ATTEMPTS; i++) {
      const s = await this.require(ns, id);
      const md = s.metadataJson === null ? null : (JSON.parse(s.metadataJson) as unknown);
      if (typeof md !== 'object' || md === null || Array.isArray(md)) throw new AppError('failed_precondition', 'Session has no metadata');
      (md as Record<string, unknown>).name = name;
      const updated = await this.store.casDocument(ns, id, 'metadata', s.metadataVersion, JSON.stringify(md), this.clock());
      if (updated) {
        await this.events.sessionUpdated(updated, undefined, 'metadata');
        return updated;
      }
    }
    throw new AppError('conflict', 'Session metadata changed concurrently; retry');
  }

  async archive(ns: Namespace, id: string): Promise<SessionRecord> {
    await this.require(ns, id);
    const updated = await this.store.patchSession(ns, id, { archived: true, active: false, thinking: false, updatedAt: this.clock() });
    if (!updated) return this.accessError(ns, id);
    await this.events.sessionUpdated(updated);
    return updated;
  }

  async delete(ns: Namespace, id: string): Promise<void> {
    const s = await this.require(ns, id);
    if (s.active) throw new AppError('failed_precondition', 'Session is active');
    // Session first, so nothing can be appended any more; then its messages.
    if (!(await this.store.deleteInactiveSession(ns, id))) {
      const again = await this.require(ns, id);
      if (again.active) throw new AppError('failed_precondition', 'Session is active');
      throw new AppError('conflict', 'Session changed concurrently; retry');
    }
    await this.store.deleteMessages(ns, id);
    await this.events.sessionRemoved(ns, id);
  }

  async appendMessage(ns: Namespace, input: AppendInput): Promise<{ message: MessageRecord; created: boolean }> {
    parseJson(input.contentJson, 'content_json');
    const createdAt = input.createdAt || this.clock();
    const localId = input.localId ? input.localId : null;
    const res = await this.store.appendMessage(ns, {
      id: this.newId(),
      namespace: ns,
      sessionId: input.sessionId,
      createdAt,
      localId,
      contentJson: input.contentJson,
      invokedAt: input.invoked ? createdAt : null,
    });
    if (!res) return this.accessError(ns, input.sessionId);
    if (res.created) {
      if (res.firstContent) {
        const s = await this.store.getSession(ns, input.sessionId);
        if (s) await this.events.sessionUpdated(s, input.origin);
      }
      await this.events.messageReceived(ns, res.message, input.origin);
    }
    return { message: res.message, created: res.created };
  }

  async listMessages(ns: Namespace, sessionId: string, q: { afterSeq?: number; beforeSeq?: number; limit: number }): Promise<{ messages: MessageRecord[]; hasMore: boolean }> {
    if (q.afterSeq !== undefined && q.beforeSeq !== undefined) throw new AppError('invalid_argument', 'give after_seq or before_seq, not both');
    if (q.limit < 0 || q.limit > MAX_PAGE) throw new AppError('invalid_argument', `limit must be 0..${MAX_PAGE}`);
    await this.require(ns, sessionId);
    const limit = q.limit || DEFAULT_PAGE;
    const page: MessagePage =
      q.afterSeq !== undefined ? { afterSeq: q.afterSeq, limit } : { beforeSeq: q.beforeSeq ?? Number.MAX_SAFE_INTEGER, limit };
    return this.store.listMessages(ns, sessionId, page);
  }

  async markConsumed(ns: Namespace, sessionId: string, localIds: string[], at: number): Promise<{ localIds: string[]; invokedAt: number }> {
    await this.require(ns, sessionId);
    const invokedAt = at || this.clock();
    const stamped = localIds.length === 0 ? [] : await this.store.markConsumed(ns, sessionId, localIds, invokedAt);
    if (stamped.length > 0) await this.events.messagesConsumed(ns, sessionId, stamped, invokedAt);
    return { localIds: stamped, invokedAt };
  }
}

function docOf(s: SessionRecord, doc: VersionedDoc): { version: number; json: string | null } {
  return doc === 'metadata' ? { version: s.metadataVersion, json: s.metadataJson } : { version: s.agentStateVersion, json: s.agentStateJson };
}
