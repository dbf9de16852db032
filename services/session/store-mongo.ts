import type { Collection, Db, MongoClient } from 'mongodb';
import { connectMongo, isDuplicateKey } from '../../lib/store/mongo.js';
import type { Namespace } from '../../lib/namespace.js';
import {
  PATCHABLE_FIELDS,
  type AppendResult,
  type MessagePage,
  type MessageRecord,
  type NewMessage,
  type SessionPatch,
  type SessionRecord,
  type SessionStore,
  type VersionedDoc,
} from './store.js';

/** Session documents use the (globally unique) session id as `_id`. */
type SessionDoc = Omit<SessionRecord, 'id'> & { _id: string };
/**
 * Message documents carry `localKey` ('l:' + localId, or 'm:' + id when there is none), so one
 * plain unique index gives localId idempotency without relying on partial indexes.
 */
type MessageDoc = Omit<MessageRecord, 'id'> & { _id: string; localKey: string };

// Acknowledged only once a majority has it in the journal: a returned append survives a failover.
const DURABLE = { writeConcern: { w: 'majority' as const, journal: true } };

function toSession(doc: SessionDoc | null): SessionRecord | null {
  if (!doc) return null;
  const { _id, ...rest } = doc;
  return { id: _id, ...rest };
}

function toMessage(doc: MessageDoc | null): MessageRecord | null {
  if (!doc) return null;
  const { _id, localKey: _lk, ...rest } = doc;
  return { id: _id, ...rest };
}

const localKeyOf = (m: { id: string; localId: string | null }): string => (m.localId === null ? `m:${m.id}` : `l:${m.localId}`);

export class MongoSessionStore implements SessionStore {
  private constructor(
    private readonly client: MongoClient | null,
    private readonly sessions: Collection<SessionDoc>,
    private readonly messages: Collection<MessageDoc>,
  ) {}

  static async open(url: string, dbName: string): Promise<MongoSessionStore> {
    const { client, db } = await connectMongo(url, dbName);
    try {
      return await MongoSessionStore.onDb(db, client);
    } catch (err) {
      await client.close();
      throw err;
    }
  }

  /** Uses an existing database; creates the indexes (idempotent). */
  static async onDb(db: Db, client: MongoClient | null = null): Promise<MongoSessionStore> {
    const sessions = db.collection<SessionDoc>('sessions', DURABLE);
    const messages = db.collection<MessageDoc>('messages', DURABLE);
    await sessions.createIndex({ namespace: 1, tag: 1 }, { unique: true, name: 'ns_tag' });
    await sessions.createIndex({ namespace: 1, updatedAt: -1 }, { name: 'ns_updated' });
    await messages.createIndex({ namespace: 1, sessionId: 1, seq: 1 }, { unique: true, name: 'ns_session_seq' });
    await messages.createIndex({ namespace: 1, sessionId: 1, localKey: 1 }, { unique: true, name: 'ns_session_localkey' });
    return new MongoSessionStore(client, sessions, messages);
  }

  async ownerOf(id: string): Promise<Namespace | null> {
    const doc = await this.sessions.findOne({ _id: id });
    return doc?.namespace ?? null;
  }

  async getSession(ns: Namespace, id: string): Promise<SessionRecord | null> {
    return toSession(await this.sessions.findOne({ namespace: ns, _id: id }));
  }

  async getSessionByTag(ns: Namespace, tag: string): Promise<SessionRecord | null> {
    return toSession(await this.sessions.findOne({ namespace: ns, tag }));
  }

  async listSessions(ns: Namespace): Promise<SessionRecord[]> {
    const docs = await this.sessions.find({ namespace: ns }).sort({ updatedAt: -1, _id: 1 }).toArray();
    return docs.map((d) => toSession(d)!);
  }

  async insertSession(rec: SessionRecord): Promise<boolean> {
    const { id, ...rest } = rec;
    try {
      await this.sessions.insertOne({ _id: id, ...rest });
      return true;
    } catch (err) {
      if (isDuplicateKey(err)) return false;
      throw err;
    }
  }

  async casDocument(ns: Namespace, id: string, doc: VersionedDoc, expectedVersion: number, json: string | null, now: number): Promise<SessionRecord | null> {
    const [jsonField, versionField] = doc === 'metadata' ? (['metadataJson', 'metadataVersion'] as const) : (['agentStateJson', 'agentStateVersion'] as const);
    const updated = await this.sessions.findOneAndUpdate(
      { namespace: ns, _id: id, [versionField]: expectedVersion },
      { $set: { [jsonField]: json, updatedAt: now }, $inc: { [versionField]: 1, seq: 1 } },
      { returnDocument: 'after' },
    );
    return toSession(updated);
  }

  async patchSession(ns: Namespace, id: string, patch: SessionPatch, whenActive?: boolean): Promise<SessionRecord | null> {
    const set: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(patch)) if ((PATCHABLE_FIELDS as readonly string[]).includes(k)) set[k] = v;
    if (Object.keys(set).length === 0) return this.getSession(ns, id);
    const filter = whenActive === undefined ? { namespace: ns, _id: id } : { namespace: ns, _id: id, active: whenActive };
    return toSession(await this.sessions.findOneAndUpdate(filter, { $set: set }, { returnDocument: 'after' }));
  }

  async deleteInactiveSession(ns: Namespace, id: string): Promise<boolean> {
    const res = await this.sessions.deleteOne({ namespace: ns, _id: id, active: false });
    return res.deletedCount > 0;
  }

  async appendMessage(ns: Namespace, msg: NewMessage): Promise<AppendResult | null> {
    const localKey = localKeyOf(msg);
    if (msg.localId !== null) {
      const existing = toMessage(await this.messages.findOne({ namespace: ns, sessionId: msg.sessionId, localKey }));
      if (existing) return { message: existing, created: false, firstContent: false };
    }
    // The per-session counter: one atomic increment on the session document.
    const before = await this.sessions.findOneAndUpdate(
      { namespace: ns, _id: msg.sessionId },
      { $inc: { lastMessageSeq: 1 }, $set: { hasConversationContent: true } },
      { returnDocument: 'before' },
    );
    if (!before) return null;
    const message: MessageRecord = { ...msg, namespace: ns, seq: before.lastMessageSeq + 1 };
    const { id, ...rest } = message;
    try {
      await this.messages.insertOne({ _id: id, ...rest, localKey });
    } catch (err) {
      if (!isDuplicateKey(err) || msg.localId === null) throw err;
      // A concurrent append with the same localId won; its message is the answer (this seq stays unused).
      const winner = toMessage(await this.messages.findOne({ namespace: ns, sessionId: msg.sessionId, localKey }));
      if (!winner) throw err;
      return { message: winner, created: false, firstContent: false };
    }
    return { message, created: true, firstContent: !before.hasConversationContent };
  }

  async listMessages(ns: Namespace, sessionId: string, page: MessagePage): Promise<{ messages: MessageRecord[]; hasMore: boolean }> {
    const limit = page.limit;
    if ('afterSeq' in page) {
      const docs = await this.messages
        .find({ namespace: ns, sessionId, seq: { $gt: page.afterSeq } })
        .sort({ seq: 1 })
        .limit(limit + 1)
        .toArray();
      return { messages: docs.slice(0, limit).map((d) => toMessage(d)!), hasMore: docs.length > limit };
    }
    const docs = await this.messages
      .find({ namespace: ns, sessionId, seq: { $lt: page.beforeSeq } })
      .sort({ seq: -1 })
      .limit(limit + 1)
      .toArray();
    return { messages: docs.slice(0, limit).reverse().map((d) => toMessage(d)!), hasMore: docs.length > limit };
  }

  async markConsumed(ns: Namespace, sessionId: string, localIds: string[], at: number): Promise<string[]> {
    const stamped: string[] = [];
    for (const localId of new Set(localIds)) {
      const res = await this.messages.updateOne(
        { namespace: ns, sessionId, localKey: `l:${localId}`, invokedAt: null },
        { $set: { invokedAt: at } },
      );
      if (res.modifiedCount > 0) stamped.push(localId);
    }
    return stamped;
  }

  async deleteMessages(ns: Namespace, sessionId: string): Promise<number> {
    return (await this.messages.deleteMany({ namespace: ns, sessionId })).deletedCount;
  }

  async close(): Promise<void> {
    await this.client?.close();
  }
}
