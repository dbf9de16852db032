import type { Collection, Db, MongoClient } from 'mongodb';
import { AppError } from '../../lib/errors.js';
import { connectMongo, isDuplicateKey } from '../../lib/store/mongo.js';
import { MongoOutbox } from '../../lib/store/mongo-outbox.js';
import { parseNamespace, type Namespace } from '../../lib/namespace.js';
import {
  PATCHABLE_FIELDS,
  dueAtOf,
  positionOf,
  type AppendResult,
  type DeliverableQuery,
  type DeliveryState,
  type MessagePosition,
  type DerivedFields,
  type MessagePage,
  type MessageRecord,
  type NamespaceActivityRecord,
  type NewMessage,
  type ReplacementMessage,
  type SessionListQuery,
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
type MessageDoc = Omit<MessageRecord, 'id' | 'deliveryState'> & {
  _id: string;
  localKey: string;
  /** Absent in documents written before delivery states existed: `queued`. */
  deliveryState?: DeliveryState;
  /** HAPI's order key, invokedAt ?? createdAt, stored so one index serves every cursor. */
  positionAt: number;
  /** Present only while a scheduled message waits for delivery (a sparse index holds just those). */
  dueAt?: number;
  claimUntil?: number;
  claimToken?: string;
};
/** Per-session message epoch; `_id` is the JSON of [namespace, sessionId]. */
type EpochDoc = { _id: string; namespace: string; sessionId: string; epoch: number };

/** HAPI's allowed moves between delivery states: to each state, from these. */
const DELIVERY_FROM: Record<DeliveryState, DeliveryState[]> = {
  queued: ['dispatching', 'indeterminate'],
  dispatching: ['queued', 'indeterminate'],
  indeterminate: ['queued', 'dispatching'],
};
const epochId = (ns: Namespace, sessionId: string) => JSON.stringify([ns, sessionId]);
/** (positionAt, seq) < pos, as a filter. */
const beforePos = (p: MessagePosition) => ({ $or: [{ positionAt: { $lt: p.at } }, { positionAt: p.at, seq: { $lt: p.seq } }] });
const afterPos = (p: MessagePosition) => ({ $or: [{ positionAt: { $gt: p.at } }, { positionAt: p.at, seq: { $gt: p.seq } }] });
const atOrBeforePos = (p: MessagePosition) => ({ $or: [{ positionAt: { $lt: p.at } }, { positionAt: p.at, seq: { $lte: p.seq } }] });
/** Queued, in any delivery state (an absent state is `queued`). */
const stateIn = (states: DeliveryState[]) => (states.includes('queued') ? { $or: [{ deliveryState: { $in: states } }, { deliveryState: { $exists: false } }] } : { deliveryState: { $in: states } });

// Acknowledged only once a majority has it in the journal: a returned append survives a failover.
const DURABLE = { writeConcern: { w: 'majority' as const, journal: true } };

/** Fields added after the first layout, with the value a document written before them gets. */
const ADDED_FIELDS = { collaborationMode: null, copilotAgentMode: null, globalPinned: false, pendingRequestsCount: 0 } as const;

function toSession(doc: SessionDoc | null): SessionRecord | null {
  if (!doc) return null;
  const { _id, ...rest } = doc;
  return { id: _id, ...ADDED_FIELDS, ...rest, namespace: parseNamespace(rest.namespace) };
}

/** Messages read per batch when a fork copies a transcript. */
const COPY_BATCH = 500;

function toMessage(doc: MessageDoc | null): MessageRecord | null {
  if (!doc) return null;
  return {
    id: doc._id,
    namespace: parseNamespace(doc.namespace),
    sessionId: doc.sessionId,
    seq: doc.seq,
    createdAt: doc.createdAt,
    localId: doc.localId ?? null,
    contentJson: doc.contentJson,
    invokedAt: doc.invokedAt ?? null,
    scheduledAt: doc.scheduledAt ?? null,
    deliveryState: doc.deliveryState ?? 'queued',
    deliveryMode: doc.deliveryMode ?? null,
  };
}
const toMessages = (docs: MessageDoc[]): MessageRecord[] => docs.map((d) => toMessage(d)!);

const localKeyOf = (m: { id: string; localId: string | null }): string => (m.localId === null ? `m:${m.id}` : `l:${m.localId}`);

export class MongoSessionStore implements SessionStore {
  private constructor(
    private readonly client: MongoClient | null,
    private readonly sessions: Collection<SessionDoc>,
    private readonly messages: Collection<MessageDoc>,
    private readonly epochs: Collection<EpochDoc>,
    readonly outbox: MongoOutbox,
  ) {}

  /** Connects and creates the indexes (idempotent); the store owns the client from then on. */
  static async open(url: string, dbName: string): Promise<MongoSessionStore> {
    const { client, db } = await connectMongo(url, dbName);
    try {
      return await MongoSessionStore.create(db, client);
    } catch (err) {
      await client.close();
      throw err;
    }
  }

  private static async create(db: Db, client: MongoClient): Promise<MongoSessionStore> {
    const sessions = db.collection<SessionDoc>('sessions', DURABLE);
    const messages = db.collection<MessageDoc>('messages', DURABLE);
    await sessions.createIndex({ namespace: 1, tag: 1 }, { unique: true, name: 'ns_tag' });
    await sessions.createIndex({ namespace: 1, updatedAt: -1 }, { name: 'ns_updated' });
    await sessions.createIndex({ namespace: 1, globalPinned: -1, pinned: -1, active: -1, pendingRequestsCount: -1, updatedAt: -1 }, { name: 'ns_list_order' });
    await messages.createIndex({ namespace: 1, sessionId: 1, seq: 1 }, { unique: true, name: 'ns_session_seq' });
    await messages.createIndex({ namespace: 1, sessionId: 1, localKey: 1 }, { unique: true, name: 'ns_session_localkey' });
    await messages.createIndex({ namespace: 1, sessionId: 1, positionAt: 1, seq: 1 }, { name: 'ns_session_position' });
    await messages.createIndex({ namespace: 1, sessionId: 1, invokedAt: 1, seq: 1 }, { name: 'ns_session_invoked_seq' });
    await messages.createIndex({ dueAt: 1 }, { sparse: true, name: 'due' });
    await MongoSessionStore.addPositions(messages);
    return new MongoSessionStore(client, sessions, messages, db.collection<EpochDoc>('message_epochs', DURABLE), await MongoOutbox.open(db));
  }

  /** Documents written before positions existed get theirs (once; later opens find none). */
  private static async addPositions(messages: Collection<MessageDoc>): Promise<void> {
    for (;;) {
      const docs = await messages.find({ positionAt: { $exists: false } }).limit(1000).toArray();
      if (docs.length === 0) return;
      await messages.bulkWrite(docs.map((d) => ({ updateOne: { filter: { _id: d._id }, update: { $set: { positionAt: d.invokedAt ?? d.createdAt } } } })));
    }
  }

  async ownerOf(id: string): Promise<Namespace | null> {
    const doc = await this.sessions.findOne({ _id: id });
    return doc ? parseNamespace(doc.namespace) : null;
  }

  async getSession(ns: Namespace, id: string): Promise<SessionRecord | null> {
    return toSession(await this.sessions.findOne({ namespace: ns, _id: id }));
  }

  async getSessionByTag(ns: Namespace, tag: string): Promise<SessionRecord | null> {
    return toSession(await this.sessions.findOne({ namespace: ns, tag }));
  }

  async listSessions(ns: Namespace, query: SessionListQuery = { order: 'updatedAt', limit: 0 }): Promise<SessionRecord[]> {
    const sort: Record<string, 1 | -1> =
      query.order === 'list' ? { globalPinned: -1, pinned: -1, active: -1, pendingRequestsCount: -1, updatedAt: -1, _id: 1 } : { updatedAt: -1, _id: 1 };
    let cursor = this.sessions.find({ namespace: ns }).sort(sort);
    if (query.limit > 0) cursor = cursor.limit(query.limit);
    return (await cursor.toArray()).map((d) => toSession(d)!);
  }

  async countSessions(ns: Namespace): Promise<number> {
    return this.sessions.countDocuments({ namespace: ns });
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

  async casDocument(ns: Namespace, id: string, doc: VersionedDoc, expectedVersion: number, json: string | null, now: number, derived: DerivedFields = {}): Promise<SessionRecord | null> {
    const [jsonField, versionField] = doc === 'metadata' ? (['metadataJson', 'metadataVersion'] as const) : (['agentStateJson', 'agentStateVersion'] as const);
    const updated = await this.sessions.findOneAndUpdate(
      { namespace: ns, _id: id, [versionField]: expectedVersion },
      { $set: { [jsonField]: json, updatedAt: now, ...derived }, $inc: { [versionField]: 1, seq: 1 } },
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
    const head = await this.newestPosition(ns, msg.sessionId);
    const before = await this.takeSeqs(ns, msg.sessionId, 1);
    if (!before) return null;
    const message: MessageRecord = { ...msg, namespace: ns, seq: before.lastMessageSeq + 1 };
    const { id, ...rest } = message;
    const positionAt = positionOf(message).at;
    const dueAt = dueAtOf(message);
    try {
      await this.messages.insertOne({ _id: id, ...rest, localKey, positionAt, ...(dueAt === null ? {} : { dueAt }) });
    } catch (err) {
      if (!isDuplicateKey(err) || msg.localId === null) throw err;
      // A concurrent append with the same localId won; its message is the answer (this seq stays unused).
      const winner = toMessage(await this.messages.findOne({ namespace: ns, sessionId: msg.sessionId, localKey }));
      if (!winner) throw err;
      return { message: winner, created: false, firstContent: false };
    }
    if (head && positionAt < head.at) await this.bumpEpoch(ns, msg.sessionId);
    return { message, created: true, firstContent: !before.hasConversationContent };
  }

  /**
   * Takes the session's next `n` seqs: the counter as it was (the seqs are `lastMessageSeq + 1 …
   * + n`), or null when there is no such session. A compare-and-set on the session document: read
   * the counter, then increment it only where it still has that value. A `findOneAndUpdate` with
   * `$inc` would be one round trip on MongoDB, but the Mongo-wire server the tests run does not make
   * that atomic (two callers can read the same "before"), while a conditional update is atomic on
   * both. Each lost race means another append won, so the loop ends; the bound is a safeguard.
   */
  private async takeSeqs(ns: Namespace, sessionId: string, n: number): Promise<{ lastMessageSeq: number; hasConversationContent: boolean } | null> {
    for (let attempt = 0; attempt < 1_000; attempt++) {
      const cur = await this.sessions.findOne({ namespace: ns, _id: sessionId }, { projection: { lastMessageSeq: 1, hasConversationContent: 1 } });
      if (!cur) return null;
      const res = await this.sessions.updateOne(
        { namespace: ns, _id: sessionId, lastMessageSeq: cur.lastMessageSeq },
        { $inc: { lastMessageSeq: n }, $set: { hasConversationContent: true } },
      );
      if (res.modifiedCount === 1) return { lastMessageSeq: cur.lastMessageSeq, hasConversationContent: cur.hasConversationContent };
    }
    throw new AppError('unavailable', 'too many concurrent writes to this session; try again');
  }

  private async bumpEpoch(ns: Namespace, sessionId: string): Promise<void> {
    await this.epochs.updateOne({ _id: epochId(ns, sessionId) }, { $inc: { epoch: 1 }, $set: { namespace: ns, sessionId } }, { upsert: true });
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
        { $set: { invokedAt: at, positionAt: at, deliveryState: 'queued' }, $unset: { dueAt: '', claimUntil: '', claimToken: '' } },
      );
      if (res.modifiedCount > 0) stamped.push(localId);
    }
    return stamped;
  }

  async deleteMessages(ns: Namespace, sessionId: string): Promise<number> {
    await this.epochs.deleteOne({ _id: epochId(ns, sessionId) });
    return (await this.messages.deleteMany({ namespace: ns, sessionId })).deletedCount;
  }

  async messagesBefore(ns: Namespace, sessionId: string, limit: number, before?: MessagePosition): Promise<MessageRecord[]> {
    const filter = before ? { namespace: ns, sessionId, ...beforePos(before) } : { namespace: ns, sessionId };
    const docs = await this.messages.find(filter).sort({ positionAt: -1, seq: -1 }).limit(limit).toArray();
    return toMessages(docs).reverse();
  }

  async hasMessagesBefore(ns: Namespace, sessionId: string, pos: MessagePosition): Promise<boolean> {
    return (await this.messages.findOne({ namespace: ns, sessionId, ...beforePos(pos) }, { projection: { _id: 1 } })) !== null;
  }

  async newestPosition(ns: Namespace, sessionId: string): Promise<MessagePosition | null> {
    const [doc] = await this.messages.find({ namespace: ns, sessionId }, { projection: { positionAt: 1, seq: 1 } }).sort({ positionAt: -1, seq: -1 }).limit(1).toArray();
    return doc ? { at: doc.positionAt, seq: doc.seq } : null;
  }

  async messagesAfter(ns: Namespace, sessionId: string, limit: number, after: MessagePosition, until: MessagePosition): Promise<MessageRecord[]> {
    const docs = await this.messages
      .find({ namespace: ns, sessionId, $and: [afterPos(after), atOrBeforePos(until)] })
      .sort({ positionAt: 1, seq: 1 })
      .limit(limit)
      .toArray();
    return toMessages(docs);
  }

  async queuedMessages(ns: Namespace, sessionId: string, limit: number): Promise<MessageRecord[]> {
    const docs = await this.messages.find({ namespace: ns, sessionId, invokedAt: null, localId: { $ne: null } }).sort({ seq: -1 }).limit(limit).toArray();
    return toMessages(docs).reverse();
  }

  async messageEpoch(ns: Namespace, sessionId: string): Promise<number> {
    return (await this.epochs.findOne({ _id: epochId(ns, sessionId) }))?.epoch ?? 0;
  }

  async deliverableMessages(ns: Namespace, sessionId: string, q: DeliverableQuery): Promise<MessageRecord[]> {
    const docs = await this.messages
      .find({
        namespace: ns,
        sessionId,
        seq: { $gt: q.afterSeq },
        ...(q.queuedOnly ? { invokedAt: null, localId: { $ne: null } } : {}),
        $and: [{ $or: [{ scheduledAt: null }, { scheduledAt: { $lte: q.now } }] }, stateIn(['queued'])],
      })
      .sort({ seq: 1 })
      .limit(q.limit)
      .toArray();
    return toMessages(docs);
  }

  async findMessage(ns: Namespace, sessionId: string, idOrLocalId: string): Promise<MessageRecord | null> {
    const byId = await this.messages.findOne({ _id: idOrLocalId, namespace: ns, sessionId });
    if (byId) return toMessage(byId);
    return toMessage(await this.messages.findOne({ namespace: ns, sessionId, localKey: `l:${idOrLocalId}` }));
  }

  async deleteQueuedMessage(ns: Namespace, sessionId: string, id: string): Promise<boolean> {
    const res = await this.messages.deleteOne({ _id: id, namespace: ns, sessionId, invokedAt: null });
    if (res.deletedCount === 0) return false;
    await this.bumpEpoch(ns, sessionId);
    return true;
  }

  async setDeliveryState(ns: Namespace, sessionId: string, localIds: string[], state: DeliveryState): Promise<string[]> {
    const changed: string[] = [];
    for (const localId of new Set(localIds)) {
      const res = await this.messages.updateOne(
        { namespace: ns, sessionId, localKey: `l:${localId}`, invokedAt: null, ...stateIn(DELIVERY_FROM[state]) },
        { $set: { deliveryState: state } },
      );
      if (res.modifiedCount > 0) changed.push(localId);
    }
    return changed;
  }

  async claimIndeterminate(ns: Namespace, sessionId: string, idOrLocalId: string): Promise<MessageRecord | null> {
    const found = await this.findMessage(ns, sessionId, idOrLocalId);
    if (!found) return null;
    return toMessage(
      await this.messages.findOneAndUpdate(
        { _id: found.id, namespace: ns, sessionId, invokedAt: null, deliveryState: 'indeterminate' },
        { $set: { deliveryState: 'dispatching' } },
        { returnDocument: 'after' },
      ),
    );
  }

  async messagesByLocalIds(ns: Namespace, sessionId: string, localIds: string[]): Promise<MessageRecord[]> {
    const keys = [...new Set(localIds)].map((l) => `l:${l}`);
    if (keys.length === 0) return [];
    return toMessages(await this.messages.find({ namespace: ns, sessionId, localKey: { $in: keys } }).sort({ seq: 1 }).toArray());
  }

  async replaceQueuedContent(ns: Namespace, sessionId: string, localId: string, contentJson: string): Promise<MessageRecord | null> {
    return toMessage(
      await this.messages.findOneAndUpdate({ namespace: ns, sessionId, localKey: `l:${localId}`, invokedAt: null }, { $set: { contentJson } }, { returnDocument: 'after' }),
    );
  }

  async futureScheduled(ns: Namespace, now: number): Promise<{ sessionId: string; count: number; nextAt: number }[]> {
    const docs = await this.messages
      .find({ namespace: ns, dueAt: { $gt: now }, invokedAt: null, ...stateIn(['queued']) }, { projection: { sessionId: 1, scheduledAt: 1 } })
      .toArray();
    const by = new Map<string, { sessionId: string; count: number; nextAt: number }>();
    for (const d of docs) {
      const at = d.scheduledAt ?? 0;
      const cur = by.get(d.sessionId);
      if (cur) {
        cur.count++;
        cur.nextAt = Math.min(cur.nextAt, at);
      } else by.set(d.sessionId, { sessionId: d.sessionId, count: 1, nextAt: at });
    }
    return [...by.values()];
  }

  async sweepImmediateQueued(ns: Namespace, sessionId: string, at: number): Promise<string[]> {
    const filter = { namespace: ns, sessionId, invokedAt: null, localId: { $ne: null }, scheduledAt: null, ...stateIn(['queued']) };
    const docs = await this.messages.find(filter, { projection: { _id: 1, localId: 1 } }).sort({ seq: 1 }).toArray();
    const swept: string[] = [];
    for (const d of docs) {
      const res = await this.messages.updateOne({ _id: d._id, invokedAt: null }, { $set: { invokedAt: at, positionAt: at } });
      if (res.modifiedCount > 0 && d.localId) swept.push(d.localId);
    }
    return swept;
  }

  async claimDueScheduled(now: number, claimUntil: number, token: string, limit: number): Promise<MessageRecord[]> {
    const claimed: MessageRecord[] = [];
    const due = { dueAt: { $lte: now }, $or: [{ claimUntil: { $exists: false } }, { claimUntil: { $lt: now } }] };
    // The compare-and-swap is a conditional updateOne per candidate: of several replicas updating
    // the same message, exactly one matches it. findOneAndUpdate is not used for this: not every
    // MongoDB-wire server runs its find and its update as one step (the jongodb test server lets
    // two concurrent callers both take the same document), and a message would go out twice.
    while (claimed.length < limit) {
      const candidates = await this.messages.find(due, { projection: { _id: 1 } }).sort({ dueAt: 1 }).limit(limit - claimed.length).toArray();
      if (candidates.length === 0) break;
      for (const { _id } of candidates) {
        const res = await this.messages.updateOne({ _id, ...due }, { $set: { claimUntil, claimToken: token } });
        if (res.modifiedCount === 0) continue;
        // Read back under our token: the message as it is now (content, delivery state).
        const doc = await this.messages.findOne({ _id, claimToken: token });
        if (doc) claimed.push(toMessage(doc)!);
      }
    }
    return claimed;
  }

  async releaseScheduled(ns: Namespace, id: string, token: string): Promise<boolean> {
    const res = await this.messages.updateOne({ _id: id, namespace: ns, claimToken: token }, { $unset: { dueAt: '', claimUntil: '', claimToken: '' } });
    return res.modifiedCount > 0;
  }

  async nextDueAt(): Promise<number | null> {
    const docs = await this.messages.find({ dueAt: { $exists: true } }, { projection: { dueAt: 1, claimUntil: 1 } }).sort({ dueAt: 1 }).limit(100).toArray();
    let next: number | null = null;
    for (const d of docs) {
      const at = Math.max(d.dueAt ?? 0, d.claimUntil ?? 0);
      if (next === null || at < next) next = at;
    }
    return next;
  }

  async historyState(ns: Namespace, sessionId: string, boundaryLocalId?: string): Promise<{ queued: number; boundaryInvoked: boolean }> {
    const queued = await this.messages.countDocuments({ namespace: ns, sessionId, localId: { $ne: null }, invokedAt: null });
    const boundary = boundaryLocalId === undefined ? null : await this.messages.findOne({ namespace: ns, sessionId, localKey: `l:${boundaryLocalId}` });
    return { queued, boundaryInvoked: boundary !== null && boundary.invokedAt !== null };
  }

  /** Messages at or after a position (invokedAt, else createdAt; then seq), as a filter without $expr. */
  private fromPosition(ns: Namespace, sessionId: string, pos: number, seq: number, inclusive: boolean) {
    const seqCmp = inclusive ? { $gte: seq } : { $gt: seq };
    return {
      namespace: ns,
      sessionId,
      $or: [
        { invokedAt: { $gt: pos } },
        { invokedAt: null, createdAt: { $gt: pos } },
        { invokedAt: pos, seq: seqCmp },
        { invokedAt: null, createdAt: pos, seq: seqCmp },
      ],
    };
  }

  async truncateMessagesFrom(ns: Namespace, sessionId: string, localId: string, replacements: ReplacementMessage[], newId: () => string): Promise<{ deleted: number; inserted: number } | null> {
    const target = await this.messages.findOne({ namespace: ns, sessionId, localKey: `l:${localId}` });
    if (!target) return null;
    const { deletedCount } = await this.messages.deleteMany(this.fromPosition(ns, sessionId, target.invokedAt ?? target.createdAt, target.seq, true));
    const inserted = await this.insertCopies(ns, sessionId, replacements, newId);
    // A history changed before its newest position: an after-cursor from before is stale.
    await this.bumpEpoch(ns, sessionId);
    return { deleted: deletedCount, inserted };
  }

  async copyInvokedMessages(ns: Namespace, fromId: string, toId: string, beforeLocalId: string | undefined, newId: () => string): Promise<{ copied: number; localIds: string[] } | null> {
    const filter: Record<string, unknown> = { namespace: ns, sessionId: fromId, invokedAt: { $ne: null } };
    if (beforeLocalId !== undefined) {
      const b = await this.messages.findOne({ namespace: ns, sessionId: fromId, localKey: `l:${beforeLocalId}` });
      if (!b) return null;
      const pos = b.invokedAt ?? b.createdAt;
      filter.$or = [{ invokedAt: { $lt: pos } }, { invokedAt: pos, seq: { $lt: b.seq } }];
    }
    // Batches of the cursor: memory stays bounded however long the transcript is.
    const cursor = this.messages.find(filter).sort({ invokedAt: 1, seq: 1 }).batchSize(COPY_BATCH);
    let batch: ReplacementMessage[] = [];
    let copied = 0;
    const localIds: string[] = [];
    for await (const m of cursor) {
      if (m.localId !== null) localIds.push(m.localId);
      batch.push({ contentJson: m.contentJson, createdAt: m.createdAt, localId: m.localId, invokedAt: m.invokedAt });
      if (batch.length === COPY_BATCH) {
        copied += await this.insertCopies(ns, toId, batch, newId);
        batch = [];
      }
    }
    copied += await this.insertCopies(ns, toId, batch, newId);
    if (copied > 0) await this.bumpEpoch(ns, toId);
    return { copied, localIds };
  }

  /** Appends messages with the session's next seqs: one counter increment for the batch. */
  private async insertCopies(ns: Namespace, sessionId: string, messages: ReplacementMessage[], newId: () => string): Promise<number> {
    if (messages.length === 0) return 0;
    const before = await this.takeSeqs(ns, sessionId, messages.length);
    if (!before) return 0;
    const docs = messages.map((m, i) => {
      const id = newId();
      return {
        _id: id, namespace: ns, sessionId, seq: before.lastMessageSeq + 1 + i, createdAt: m.createdAt, localId: m.localId, contentJson: m.contentJson, invokedAt: m.invokedAt,
        localKey: localKeyOf({ id, localId: m.localId }), positionAt: m.invokedAt ?? m.createdAt, scheduledAt: null, deliveryMode: null,
      };
    });
    await this.messages.insertMany(docs);
    return docs.length;
  }

  async messageStats(ns: Namespace, sessionId: string): Promise<{ count: number; contentBytes: number }> {
    // Summed here, streaming only the content field: the test wire server has no $strLenBytes.
    let count = 0;
    let contentBytes = 0;
    for await (const m of this.messages.find({ namespace: ns, sessionId }, { projection: { contentJson: 1 } }).batchSize(COPY_BATCH)) {
      count++;
      contentBytes += Buffer.byteLength(m.contentJson, 'utf8');
    }
    return { count, contentBytes };
  }

  async namespaceActivity(): Promise<NamespaceActivityRecord[]> {
    const byNs = new Map<string, NamespaceActivityRecord>();
    const of = (ns: string) => {
      let rec = byNs.get(ns);
      if (!rec) byNs.set(ns, (rec = { namespace: parseNamespace(ns), sessions: 0, activeSessions: 0, messages: 0, lastActivityAt: 0 }));
      return rec;
    };
    // Sessions are few (a team's): each one's newest message comes from the (namespace, session,
    // seq) index; the message count is the server's, grouped ($sum only: the subset every server
    // we test with runs).
    for await (const d of this.sessions.find({})) {
      const rec = of(d.namespace);
      rec.sessions += 1;
      if (d.active) rec.activeSessions += 1;
      const newest = d.lastMessageSeq > 0 ? await this.messages.find({ namespace: d.namespace, sessionId: d._id }).sort({ seq: -1 }).limit(1).next() : null;
      rec.lastActivityAt = Math.max(rec.lastActivityAt, d.updatedAt ?? 0, d.activeAt ?? 0, newest?.createdAt ?? 0);
    }
    for await (const g of this.messages.aggregate<{ _id: string; n: number }>([{ $group: { _id: '$namespace', n: { $sum: 1 } } }])) of(g._id).messages = g.n;
    return [...byNs.values()];
  }

  async importMessages(ns: Namespace, sessionId: string, messages: MessageRecord[]): Promise<number> {
    if (!(await this.sessions.findOne({ namespace: ns, _id: sessionId }))) return 0;
    let added = 0;
    let top = 0;
    for (const m of messages) {
      top = Math.max(top, m.seq);
      const { id, ...rest } = { ...m, namespace: ns, sessionId };
      try {
        const dueAt = dueAtOf(m);
        await this.messages.insertOne({ _id: id, ...rest, localKey: localKeyOf(m), positionAt: positionOf(m).at, ...(dueAt === null ? {} : { dueAt }) });
        added += 1;
      } catch (err) {
        // Already there (this id, or this seq or localId in the session): an import run before.
        if (!isDuplicateKey(err)) throw err;
      }
    }
    // Raise the counter only upwards (a conditional $set: no $max on every server we test with).
    if (messages.length > 0) {
      await this.sessions.updateOne({ namespace: ns, _id: sessionId, lastMessageSeq: { $lt: top } }, { $set: { lastMessageSeq: top } });
      await this.sessions.updateOne({ namespace: ns, _id: sessionId }, { $set: { hasConversationContent: true } });
    }
    return added;
  }

  async close(): Promise<void> {
    await this.client?.close();
  }
}
