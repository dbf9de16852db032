import type { Namespace } from '../../lib/namespace.js';

/** An attachment's metadata as an entry references it (HAPI's ScratchlistAttachmentMetadata). */
export interface ScratchlistAttachmentRecord {
  id: string;
  filename: string;
  mimeType: string;
  size: number;
  path: string;
}

/** One scratchlist entry of a session. Attachments are kept as JSON text (the entry's own list). */
export interface ScratchlistEntryRecord {
  namespace: Namespace;
  sessionId: string;
  entryId: string;
  text: string;
  createdAt: number;
  updatedAt: number;
  attachments: ScratchlistAttachmentRecord[];
}

/** An uploaded attachment's stored file: its name as stored, its bytes. */
export interface StoredAttachment {
  namespace: Namespace;
  sessionId: string;
  id: string;
  /** The sanitised file name it was uploaded with. */
  filename: string;
  mimeType: string;
  size: number;
  content: Buffer;
  createdAt: number;
}

/**
 * The scratchlist of every session: entries and the attachment files they reference, stored by
 * the session service. Every method takes the namespace first and filters on it, so one
 * namespace's entries and files can never be read or changed through another's.
 */
export interface ScratchlistStore {
  /** Newest first (createdAt, then entryId, descending), as HAPI lists them. */
  listEntries(ns: Namespace, sessionId: string): Promise<ScratchlistEntryRecord[]>;
  countEntries(ns: Namespace, sessionId: string): Promise<number>;
  getEntry(ns: Namespace, sessionId: string, entryId: string): Promise<ScratchlistEntryRecord | null>;
  /** False when the entry id is taken in that session. */
  insertEntry(rec: ScratchlistEntryRecord): Promise<boolean>;
  updateEntry(ns: Namespace, sessionId: string, entryId: string, patch: { text: string; attachments: ScratchlistAttachmentRecord[]; updatedAt: number }): Promise<ScratchlistEntryRecord | null>;
  deleteEntry(ns: Namespace, sessionId: string, entryId: string): Promise<boolean>;
  putAttachment(rec: StoredAttachment): Promise<void>;
  /** Metadata only (no bytes). */
  getAttachmentInfo(ns: Namespace, sessionId: string, id: string): Promise<Omit<StoredAttachment, 'content'> | null>;
  readAttachment(ns: Namespace, sessionId: string, id: string): Promise<Buffer | null>;
  deleteAttachments(ns: Namespace, sessionId: string, ids: string[]): Promise<number>;
  /** The bytes of every file stored for the session (referenced or not), as HAPI counts its disk use. */
  sessionBytes(ns: Namespace, sessionId: string): Promise<number>;
  close(): Promise<void>;
}
