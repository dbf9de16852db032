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
}

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
}

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
] as const;
export type SessionPatch = Partial<Pick<SessionRecord, (typeof PATCHABLE_FIELDS)[number]>>;

export type VersionedDoc = 'metadata' | 'agentState';

export type NewMessage = Omit<MessageRecord, 'seq'>;

export interface AppendResult {
  message: MessageRecord;
  /** False when the localId was seen before and the stored message is returned. */
  created: boolean;
  /** True when this message is the session's first (hasConversationContent flipped). */
  firstContent: boolean;
}

export type MessagePage = { afterSeq: number; limit: number } | { beforeSeq: number; limit: number };

/**
 * The session service's repository. Every method takes the caller's namespace first and filters
 * on it; `ownerOf` is the one exception and answers only which namespace holds an id.
 */
export interface SessionStore {
  ownerOf(id: string): Promise<Namespace | null>;
  getSession(ns: Namespace, id: string): Promise<SessionRecord | null>;
  getSessionByTag(ns: Namespace, tag: string): Promise<SessionRecord | null>;
  /** Sessions of a namespace, most recently updated first. */
  listSessions(ns: Namespace): Promise<SessionRecord[]>;
  /** Inserts a new session; false when its id or (namespace, tag) already exists. */
  insertSession(rec: SessionRecord): Promise<boolean>;
  /**
   * Compare-and-swap of one JSON document on its version: on success the version and the session
   * seq go up by one and updatedAt is set; null when the version (or the session) does not match.
   */
  casDocument(ns: Namespace, id: string, doc: VersionedDoc, expectedVersion: number, json: string | null, now: number): Promise<SessionRecord | null>;
  /** Overwrites fields; with `whenActive`, only if the session's active flag equals it. Null when nothing matched. */
  patchSession(ns: Namespace, id: string, patch: SessionPatch, whenActive?: boolean): Promise<SessionRecord | null>;
  /** Deletes an inactive session; false when no inactive session with that id exists in ns. */
  deleteInactiveSession(ns: Namespace, id: string): Promise<boolean>;
  /** Appends with the next per-session seq; null when the session does not exist in ns. */
  appendMessage(ns: Namespace, msg: NewMessage): Promise<AppendResult | null>;
  listMessages(ns: Namespace, sessionId: string, page: MessagePage): Promise<{ messages: MessageRecord[]; hasMore: boolean }>;
  /** Stamps invokedAt on the listed localIds not yet invoked; returns the ones it stamped. */
  markConsumed(ns: Namespace, sessionId: string, localIds: string[], at: number): Promise<string[]>;
  deleteMessages(ns: Namespace, sessionId: string): Promise<number>;
  close(): Promise<void>;
}
