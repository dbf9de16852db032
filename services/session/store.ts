import type { EventOutbox } from '../../lib/events/outbox.js';
import type { Namespace } from '../../lib/namespace.js';

/**
 * One stored session. Client JSON (metadata, agent state, todos, team state) is kept as the JSON
 * text the client sent, so odd keys round-trip unchanged; null means JSON null.
 */
export interface SessionRecord {
  id: string;
  namespace: Namespace;
  tag: string;
  seq: number;
  createdAt: number;
  updatedAt: number;
  active: boolean;
  activeAt: number;
  metadataJson: string | null;
  metadataVersion: number;
  agentStateJson: string | null;
  agentStateVersion: number;
  thinking: boolean;
  thinkingAt: number;
  activeTurnStartedAt: number | null;
  backgroundTaskCount: number;
  todosUpdatedAt: number;
  teamStateUpdatedAt: number;
  model: string | null;
  modelReasoningEffort: string | null;
  effort: string | null;
  serviceTier: string | null;
  hasConversationContent: boolean;
  pinned: boolean;
  todosJson: string | null;
  teamStateJson: string | null;
  /** Highest message seq handed out for this session (the per-session counter). */
  lastMessageSeq: number;
  archived: boolean;
  permissionMode: string | null;
  collaborationMode: string | null;
  copilotAgentMode: string | null;
  /** Pinned in the whole list (HAPI's pin mode `global`; `pinned` is mode `project`). */
  globalPinned: boolean;
  /**
   * How many permission requests the agent state holds, kept with each agent state write so
   * the list can be ordered (and cut) in the store query the way HAPI orders it.
   */
  pendingRequestsCount: number;
}

/** Where a queued message stands with the CLI (HAPI's delivery_state); consumed ones are `queued`. */
export type DeliveryState = 'queued' | 'dispatching' | 'indeterminate';
/** How the web asked a message delivered (HAPI's meta.deliveryMode). */
export type DeliveryMode = 'queue' | 'steer';

export interface MessageRecord {
  id: string;
  namespace: Namespace;
  sessionId: string;
  seq: number;
  createdAt: number;
  localId: string | null;
  contentJson: string;
  /** When the agent took the message; null while it is queued. */
  invokedAt: number | null;
  /** Held until then (a web message scheduled ahead); null when sent at once. */
  scheduledAt: number | null;
  deliveryState: DeliveryState;
  /** Web messages only; null for the CLI's own. */
  deliveryMode: DeliveryMode | null;
}

/**
 * A point in a session's message order. HAPI orders messages by (invokedAt ?? createdAt, seq), so
 * a queued message moves to the time the agent took it; every cursor is such a position.
 */
export interface MessagePosition {
  at: number;
  seq: number;
}

/**
 * When a scheduled message becomes due for delivery: only one posted before its time waits (one
 * posted with a time already past goes out at once, like any other).
 */
export const dueAtOf = (m: Pick<MessageRecord, 'scheduledAt' | 'createdAt'>): number | null => (m.scheduledAt !== null && m.scheduledAt > m.createdAt ? m.scheduledAt : null);

export const positionOf = (m: Pick<MessageRecord, 'invokedAt' | 'createdAt' | 'seq'>): MessagePosition => ({ at: m.invokedAt ?? m.createdAt, seq: m.seq });

/** Fields a domain operation may overwrite with `patchSession` (never id, namespace, tag, counters). */
export const PATCHABLE_FIELDS = [
  'updatedAt',
  'active',
  'activeAt',
  'thinking',
  'thinkingAt',
  'activeTurnStartedAt',
  'backgroundTaskCount',
  'archived',
  'permissionMode',
  'model',
  'modelReasoningEffort',
  'effort',
  'serviceTier',
  'collaborationMode',
  'copilotAgentMode',
  'pinned',
  'globalPinned',
] as const;
export type SessionPatch = Partial<Pick<SessionRecord, (typeof PATCHABLE_FIELDS)[number]>>;

export type VersionedDoc = 'metadata' | 'agentState';

/** Fields a document write keeps in step with the document, in the same write. */
export type DerivedFields = Partial<Pick<SessionRecord, 'pendingRequestsCount'>>;

export type NewMessage = Omit<MessageRecord, 'seq'>;

export interface AppendResult {
  message: MessageRecord;
  /** False when the localId was seen before and the stored message is returned. */
  created: boolean;
  /** True when this message is the session's first (hasConversationContent flipped). */
  firstContent: boolean;
}

export type MessagePage = { afterSeq: number; limit: number } | { beforeSeq: number; limit: number };

/** How much one namespace holds (the admin overview): counts and a time, never content. */
export interface NamespaceActivityRecord {
  namespace: Namespace;
  sessions: number;
  activeSessions: number;
  messages: number;
  /** Latest session update or activity or message time; 0 when there is none. */
  lastActivityAt: number;
}

export interface DeliverableQuery {
  afterSeq: number;
  /** Messages scheduled after this time are held back. */
  now: number;
  limit: number;
  /** Only those the CLI has not taken yet. */
  queuedOnly: boolean;
}

/**
 * The message side of the store: HAPI's cursor, the queue (cancel, delivery states, the native
 * queue of shared sessions) and scheduled delivery. Namespace first like every other method,
 * except the scheduler's three hub-wide methods: a due message is found by time across every
 * namespace (one index), and each record it returns carries its namespace, under which the
 * scheduler then works.
 */
export interface MessageQueueStore {
  /** The newest `limit` messages before `before` (or the newest of all), in position order. */
  messagesBefore(ns: Namespace, sessionId: string, limit: number, before?: MessagePosition): Promise<MessageRecord[]>;
  hasMessagesBefore(ns: Namespace, sessionId: string, pos: MessagePosition): Promise<boolean>;
  newestPosition(ns: Namespace, sessionId: string): Promise<MessagePosition | null>;
  /** Up to `limit` messages after `after` and at or before `until`, in position order. */
  messagesAfter(ns: Namespace, sessionId: string, limit: number, after: MessagePosition, until: MessagePosition): Promise<MessageRecord[]>;
  /** The newest `limit` messages with a localId not taken by the agent yet, in seq order. */
  queuedMessages(ns: Namespace, sessionId: string, limit: number): Promise<MessageRecord[]>;
  /** Bumped whenever a message lands or disappears before the newest position (an after-cursor is then stale). */
  messageEpoch(ns: Namespace, sessionId: string): Promise<number>;
  /** The CLI's backfill: after a seq, not held for later, delivery state `queued`; by seq. */
  deliverableMessages(ns: Namespace, sessionId: string, q: DeliverableQuery): Promise<MessageRecord[]>;
  /** By message id, or else by localId. */
  findMessage(ns: Namespace, sessionId: string, idOrLocalId: string): Promise<MessageRecord | null>;
  /** Deletes it while not taken by the agent (bumping the epoch); false when nothing was deleted. */
  deleteQueuedMessage(ns: Namespace, sessionId: string, id: string): Promise<boolean>;
  /** HAPI's transitions among queued messages not taken yet; returns the localIds that changed. */
  setDeliveryState(ns: Namespace, sessionId: string, localIds: string[], state: DeliveryState): Promise<string[]>;
  /** indeterminate → dispatching for a retry; the message after, or null when it was not indeterminate. */
  claimIndeterminate(ns: Namespace, sessionId: string, idOrLocalId: string): Promise<MessageRecord | null>;
  /** The messages with these localIds (at most as many as asked). */
  messagesByLocalIds(ns: Namespace, sessionId: string, localIds: string[]): Promise<MessageRecord[]>;
  /** Replaces the content of a message not taken yet; null when there is none. */
  replaceQueuedContent(ns: Namespace, sessionId: string, localId: string, contentJson: string): Promise<MessageRecord | null>;
  /** Per session of the namespace: messages still waiting for a time after `now`, and the earliest. */
  futureScheduled(ns: Namespace, now: number): Promise<{ sessionId: string; count: number; nextAt: number }[]>;
  /** Stamps invokedAt on every queued, not scheduled, `queued`-state message with a localId; returns those localIds. */
  sweepImmediateQueued(ns: Namespace, sessionId: string, at: number): Promise<string[]>;
  /**
   * Hub-wide: claims up to `limit` scheduled messages due at `now` that no live claim holds, for
   * `token` until `claimUntil`. A claim is a compare-and-swap, so of several replicas one gets each.
   */
  claimDueScheduled(now: number, claimUntil: number, token: string, limit: number): Promise<MessageRecord[]>;
  /** Hub-wide: the claim of `token` is done; the message is never due again. False when another claim took it over. */
  releaseScheduled(ns: Namespace, id: string, token: string): Promise<boolean>;
  /** Hub-wide: the earliest time a scheduled message is (or was) due and not yet released, or null. */
  nextDueAt(): Promise<number | null>;
}

/**
 * How a listing is ordered: most recently updated first, or HAPI's list order (globally pinned,
 * pinned, active, more pending requests, most recently updated).
 */
export type SessionListOrder = 'updatedAt' | 'list';
export interface SessionListQuery {
  order: SessionListOrder;
  /** At most this many; 0 for all. */
  limit: number;
}

/** A message a rewind stores in place of the removed ones (the CLI's own transcript). */
export interface ReplacementMessage {
  contentJson: string;
  createdAt: number;
  localId: string | null;
  invokedAt: number | null;
}

/**
 * The session service's repository. Every method takes the caller's namespace first and filters
 * on it; `ownerOf` is the one exception and answers only which namespace holds an id.
 */
export interface SessionStore extends MessageQueueStore {
  /** Where the service's events are stored beside its writes (lib/events/outbox.ts). */
  readonly outbox: EventOutbox;
  ownerOf(id: string): Promise<Namespace | null>;
  getSession(ns: Namespace, id: string): Promise<SessionRecord | null>;
  getSessionByTag(ns: Namespace, tag: string): Promise<SessionRecord | null>;
  /** Sessions of a namespace, most recently updated first (or as `query` says, cut at its limit). */
  listSessions(ns: Namespace, query?: SessionListQuery): Promise<SessionRecord[]>;
  /** How many sessions the namespace holds (its limit is checked on create). */
  countSessions(ns: Namespace): Promise<number>;
  /** Inserts a new session; false when its id or (namespace, tag) already exists. */
  insertSession(rec: SessionRecord): Promise<boolean>;
  /**
   * Compare-and-swap of one JSON document on its version: on success the version and the session
   * seq go up by one and updatedAt is set; null when the version (or the session) does not match.
   */
  casDocument(ns: Namespace, id: string, doc: VersionedDoc, expectedVersion: number, json: string | null, now: number, derived?: DerivedFields): Promise<SessionRecord | null>;
  /** Overwrites fields; with `whenActive`, only if the session's active flag equals it. Null when nothing matched. */
  patchSession(ns: Namespace, id: string, patch: SessionPatch, whenActive?: boolean): Promise<SessionRecord | null>;
  /** Deletes an inactive session; false when no inactive session with that id exists in ns. */
  deleteInactiveSession(ns: Namespace, id: string): Promise<boolean>;
  /** Appends with the next per-session seq; null when the session does not exist in ns. */
  appendMessage(ns: Namespace, msg: NewMessage): Promise<AppendResult | null>;
  listMessages(ns: Namespace, sessionId: string, page: MessagePage): Promise<{ messages: MessageRecord[]; hasMore: boolean }>;
  /** Stamps invokedAt on the listed localIds not yet invoked (back to `queued`, never due again); returns the ones it stamped. */
  markConsumed(ns: Namespace, sessionId: string, localIds: string[], at: number): Promise<string[]>;
  deleteMessages(ns: Namespace, sessionId: string): Promise<number>;
  /** Counts per namespace over the whole hub (hub-scoped callers only: the admin overview). */
  namespaceActivity(): Promise<NamespaceActivityRecord[]>;
  /**
   * Stores messages of a session of ns as they are (ids, seqs, times: an import from another
   * hub), skipping any whose id, seq or localId the session already has; raises the session's
   * seq counter past them. Returns how many were added; 0 when the session is not in ns.
   */
  importMessages(ns: Namespace, sessionId: string, messages: MessageRecord[]): Promise<number>;
  /** Queued messages (a localId, not invoked) and whether `boundaryLocalId` names an invoked message. */
  historyState(ns: Namespace, sessionId: string, boundaryLocalId?: string): Promise<{ queued: number; boundaryInvoked: boolean }>;
  /**
   * Rewind: deletes the message with `localId` and every message after it (ordered by when it was
   * invoked, else created, then seq) and appends `replacements` with the next seqs. Null when no
   * message has that localId.
   */
  truncateMessagesFrom(ns: Namespace, sessionId: string, localId: string, replacements: ReplacementMessage[], newId: () => string): Promise<{ deleted: number; inserted: number } | null>;
  /**
   * Fork: copies the invoked messages of `fromId` (those before `beforeLocalId` when given) into
   * `toId` in the same order, with fresh ids and seqs; answers how many and their local ids. Null
   * when the boundary is not found.
   */
  copyInvokedMessages(ns: Namespace, fromId: string, toId: string, beforeLocalId: string | undefined, newId: () => string): Promise<{ copied: number; localIds: string[] } | null>;
  /** How many messages a session holds and the UTF-8 bytes of their content text. */
  messageStats(ns: Namespace, sessionId: string): Promise<{ count: number; contentBytes: number }>;
  close(): Promise<void>;
}
