import { AppError } from '../../lib/errors.js';
import type { HubCallContext } from '../../lib/context.js';
import { hubScoped, type ServiceHandlers } from '../../lib/grpc/server.js';
import type { Message, Session } from '../../lib/gen/teamhub/session/v1/session.js';
import type { SessionOpsServiceService } from '../../lib/gen/teamhub/session/v1/session_ops.js';
import type { Namespace } from '../../lib/namespace.js';
import { isValidAgentState, pendingRequestCount } from './documents.js';
import type { MessageRecord, SessionRecord, SessionStore } from './store.js';

/** Most messages one ImportMessages call may carry (the importer sends pages of at most this). */
export const MAX_IMPORT_BATCH = 500;
const MAX_ID_LENGTH = 256;

function pendingRequestsOf(agentStateJson: string | undefined): number {
  if (agentStateJson === undefined) return 0;
  try {
    const state: unknown = JSON.parse(agentStateJson);
    return isValidAgentState(state) ? pendingRequestCount(state) : 0;
  } catch {
    return 0;
  }
}

const orNull = <T>(v: T | undefined): T | null => (v === undefined ? null : v);

/** The namespace a hub-scoped operation acts in; the importer always names one. */
function targetOf(ctx: HubCallContext): Namespace {
  if (ctx.namespace === undefined) throw new AppError('invalid_argument', 'an import names its namespace in the call metadata');
  return ctx.namespace;
}

function checkId(id: string, what: string): void {
  if (id.length === 0 || id.length > MAX_ID_LENGTH) throw new AppError('invalid_argument', `${what} must be 1..${MAX_ID_LENGTH} characters`);
}

/**
 * An imported session as stored: everything the other hub had, in the target namespace, and
 * inactive (no CLI holds it here yet; its next `session-alive` makes it active again).
 */
export function importedSession(ns: Namespace, s: Session): SessionRecord {
  return {
    id: s.id,
    namespace: ns,
    tag: s.tag,
    seq: s.seq,
    createdAt: s.createdAt,
    updatedAt: s.updatedAt,
    active: false,
    activeAt: s.activeAt,
    metadataJson: orNull(s.metadataJson),
    metadataVersion: s.metadataVersion,
    agentStateJson: orNull(s.agentStateJson),
    agentStateVersion: s.agentStateVersion,
    thinking: false,
    thinkingAt: s.thinkingAt,
    activeTurnStartedAt: null,
    backgroundTaskCount: 0,
    todosUpdatedAt: s.todosUpdatedAt,
    teamStateUpdatedAt: s.teamStateUpdatedAt,
    model: orNull(s.model),
    modelReasoningEffort: orNull(s.modelReasoningEffort),
    effort: orNull(s.effort),
    serviceTier: orNull(s.serviceTier),
    hasConversationContent: false,
    pinned: s.pinned,
    todosJson: orNull(s.todosJson),
    teamStateJson: orNull(s.teamStateJson),
    lastMessageSeq: 0,
    archived: s.archived,
    permissionMode: orNull(s.permissionMode),
    collaborationMode: orNull(s.collaborationMode),
    copilotAgentMode: orNull(s.copilotAgentMode),
    globalPinned: s.globalPinned,
    // Kept with the agent state, as every write of it does (the list's order uses it).
    pendingRequestsCount: pendingRequestsOf(s.agentStateJson),
  };
}

function importedMessage(ns: Namespace, sessionId: string, m: Message): MessageRecord {
  checkId(m.id, 'message id');
  if (!Number.isSafeInteger(m.seq) || m.seq < 1) throw new AppError('invalid_argument', 'message seq must be a positive integer');
  return { id: m.id, namespace: ns, sessionId, seq: m.seq, createdAt: m.createdAt, localId: orNull(m.localId), contentJson: m.contentJson, invokedAt: orNull(m.invokedAt), scheduledAt: null, deliveryState: 'queued', deliveryMode: null };
}

/**
 * Hub operations of the session service: per-namespace counts (never content) and the import of
 * another hub's sessions and messages with their ids, order and times. Imports are idempotent:
 * what is already there is left as it is and not counted again.
 */
export class SessionOps {
  constructor(private readonly store: SessionStore) {}

  namespaceActivity(_ctx: HubCallContext) {
    return this.store.namespaceActivity();
  }

  async importSession(ctx: HubCallContext, s: Session | undefined): Promise<boolean> {
    const ns = targetOf(ctx);
    if (!s) throw new AppError('invalid_argument', 'session is required');
    checkId(s.id, 'session id');
    checkId(s.tag, 'session tag');
    const owner = await this.store.ownerOf(s.id);
    if (owner !== null && owner !== ns) throw new AppError('already_exists', 'Session id belongs to another namespace');
    if (owner === ns) return false;
    const sameTag = await this.store.getSessionByTag(ns, s.tag);
    if (sameTag) throw new AppError('already_exists', 'Another session of this namespace has the same tag');
    const created = await this.store.insertSession(importedSession(ns, s));
    if (created) ctx.log.info({ sessionId: s.id }, 'session imported');
    return created;
  }

  async importMessages(ctx: HubCallContext, sessionId: string, messages: Message[]): Promise<number> {
    const ns = targetOf(ctx);
    if (messages.length > MAX_IMPORT_BATCH) throw new AppError('invalid_argument', `at most ${MAX_IMPORT_BATCH} messages per import call`);
    if (!(await this.store.getSession(ns, sessionId))) {
      const owner = await this.store.ownerOf(sessionId);
      throw owner === null ? new AppError('not_found', 'Session not found') : new AppError('permission_denied', 'Session access denied');
    }
    return this.store.importMessages(ns, sessionId, messages.map((m) => importedMessage(ns, sessionId, m)));
  }
}

/** gRPC handlers of SessionOpsServiceService: hub-scoped only (the admin, through the gateway). */
export function sessionOpsHandlers(ops: SessionOps): ServiceHandlers<typeof SessionOpsServiceService> {
  return {
    namespaceActivity: hubScoped(async (_req, ctx) => ({ namespaces: await ops.namespaceActivity(ctx) })),
    importSession: hubScoped(async (req, ctx) => ({ created: await ops.importSession(ctx, req.session) })),
    importMessages: hubScoped(async (req, ctx) => ({ added: await ops.importMessages(ctx, req.sessionId, req.messages) })),
  };
}
