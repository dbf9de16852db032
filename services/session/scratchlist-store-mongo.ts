import { Binary, type Collection, type MongoClient } from 'mongodb';
import { connectMongo, isDuplicateKey } from '../../lib/store/mongo.js';
import { parseNamespace, type Namespace } from '../../lib/namespace.js';
import type { ScratchlistAttachmentRecord, ScratchlistEntryRecord, ScratchlistStore, StoredAttachment } from './scratchlist-store.js';

type EntryDoc = Omit<ScratchlistEntryRecord, 'namespace'> & { namespace: string };
type AttachmentDoc = Omit<StoredAttachment, 'namespace' | 'content'> & { namespace: string; content: Binary };

const DURABLE = { writeConcern: { w: 'majority' as const, journal: true } };

const toEntry = (doc: (EntryDoc & { _id?: unknown }) | null): ScratchlistEntryRecord | null => {
  if (!doc) return null;
  const { _id, ...rest } = doc;
  return { ...rest, namespace: parseNamespace(rest.namespace) };
};

/**
 * Scratchlist entries and attachment files in the session service's database (collections
 * `scratchlist_entries`, `scratchlist_attachments`), unique on (namespace, session, id). A file
 * is one document, so an attachment is bounded by MongoDB's 16 MB document size too.
 */
export class MongoScratchlistStore implements ScratchlistStore {
  private constructor(
    private readonly client: MongoClient,
    private readonly entries: Collection<EntryDoc>,
    private readonly files: Collection<AttachmentDoc>,
  ) {}

  static async open(url: string, dbName: string): Promise<MongoScratchlistStore> {
    const { client, db } = await connectMongo(url, dbName);
    try {
      const entries = db.collection<EntryDoc>('scratchlist_entries', DURABLE);
      const files = db.collection<AttachmentDoc>('scratchlist_attachments', DURABLE);
      await entries.createIndex({ namespace: 1, sessionId: 1, entryId: 1 }, { unique: true });
      await entries.createIndex({ namespace: 1, sessionId: 1, createdAt: -1 });
      await files.createIndex({ namespace: 1, sessionId: 1, id: 1 }, { unique: true });
      return new MongoScratchlistStore(client, entries, files);
    } catch (err) {
      await client.close();
      throw err;
    }
  }

  async listEntries(ns: Namespace, sessionId: string): Promise<ScratchlistEntryRecord[]> {
    const docs = await this.entries.find({ namespace: ns, sessionId }, { projection: { _id: 0 } }).sort({ createdAt: -1, entryId: -1 }).toArray();
    return docs.map((d) => toEntry(d)!);
  }

  countEntries(ns: Namespace, sessionId: string): Promise<number> {
    return this.entries.countDocuments({ namespace: ns, sessionId });
  }

  async getEntry(ns: Namespace, sessionId: string, entryId: string): Promise<ScratchlistEntryRecord | null> {
    return toEntry(await this.entries.findOne({ namespace: ns, sessionId, entryId }, { projection: { _id: 0 } }));
  }

  async insertEntry(rec: ScratchlistEntryRecord): Promise<boolean> {
    try {
      await this.entries.insertOne({ ...rec });
      return true;
    } catch (err) {
      if (isDuplicateKey(err)) return false;
      throw err;
    }
  }

  async updateEntry(ns: Namespace, sessionId: string, entryId: string, patch: { text: string; attachments: ScratchlistAttachmentRecord[]; updatedAt: number }): Promise<ScratchlistEntryRecord | null> {
    const doc = await this.entries.findOneAndUpdate({ namespace: ns, sessionId, entryId }, { $set: patch }, { returnDocument: 'after', projection: { _id: 0 } });
    return toEntry(doc);
  }

  async deleteEntry(ns: Namespace, sessionId: string, entryId: string): Promise<boolean> {
    return (await this.entries.deleteOne({ namespace: ns, sessionId, entryId })).deletedCount > 0;
  }

  async putAttachment(rec: StoredAttachment): Promise<void> {
    await this.files.insertOne({ ...rec, content: new Binary(rec.content) });
  }

  async getAttachmentInfo(ns: Namespace, sessionId: string, id: string): Promise<Omit<StoredAttachment, 'content'> | null> {
    const doc = await this.files.findOne({ namespace: ns, sessionId, id }, { projection: { _id: 0, content: 0 } });
    if (!doc) return null;
    const { content: _c, ...rest } = doc as AttachmentDoc;
    return { ...rest, namespace: parseNamespace(rest.namespace) };
  }

  async readAttachment(ns: Namespace, sessionId: string, id: string): Promise<Buffer | null> {
    const doc = await this.files.findOne({ namespace: ns, sessionId, id }, { projection: { content: 1 } });
    return doc ? Buffer.from(doc.content.buffer) : null;
  }

  async deleteAttachments(ns: Namespace, sessionId: string, ids: string[]): Promise<number> {
    if (ids.length === 0) return 0;
    return (await this.files.deleteMany({ namespace: ns, sessionId, id: { $in: ids } })).deletedCount;
  }

  async sessionBytes(ns: Namespace, sessionId: string): Promise<number> {
    const [row] = await this.files.aggregate<{ n: number }>([{ $match: { namespace: ns, sessionId } }, { $group: { _id: null, n: { $sum: '$size' } } }]).toArray();
    return row?.n ?? 0;
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
