import type { Collection, Db, Filter, MongoClient } from 'mongodb';
import { connectMongo, isDuplicateKey } from '../../lib/store/mongo.js';
import { AppError } from '../../lib/errors.js';
import { parseNamespace, type Namespace } from '../../lib/namespace.js';
import type {
  AuditRecord,
  AuthStore,
  HubSecretsRecord,
  NamespaceRecord,
  PruneCounts,
  PruneCutoffs,
  RevokedJtiRecord,
  TelegramBinding,
  ThrottleRecord,
} from './store.js';

type SecretsDoc = HubSecretsRecord & { _id: 'hub' };
type NamespaceDoc = Omit<NamespaceRecord, 'name'> & { _id: string };
type ThrottleDoc = Omit<ThrottleRecord, 'addr'> & { _id: string };
type AuditDoc = Omit<AuditRecord, 'id' | 'namespace'> & { _id: string; namespace: string | null };
interface RevokedJtiDoc {
  _id: string;
  namespace: string;
  expiresAt: number;
  /** Date copy of expiresAt for the TTL index (production Mongo cleans up; queries still filter). */
  expireAt: Date;
}
interface RevokedBeforeDoc {
  _id: string;
  sec: number;
}
interface TrustDoc {
  _id: string;
  at: number;
}
interface BindingDoc {
  _id: number;
  namespace: string;
  createdAt: number;
}

function toNamespace(d: NamespaceDoc): NamespaceRecord {
  return {
    name: parseNamespace(d._id),
    label: d.label,
    tokenHash: d.tokenHash,
    createdAt: d.createdAt,
    lastUsedAt: d.lastUsedAt ?? null,
    rotatedAt: d.rotatedAt ?? null,
    revoked: d.revoked === true,
  };
}

function toAudit(d: AuditDoc): AuditRecord {
  return {
    id: d._id,
    at: d.at,
    action: d.action,
    namespace: d.namespace === null || d.namespace === undefined ? null : parseNamespace(d.namespace),
    clientAddr: d.clientAddr,
    outcome: d.outcome,
    actor: d.actor,
    detail: d.detail,
  };
}

/**
 * MongoDB store for the auth service. Single-document writes only: secrets are an upsert with
 * $setOnInsert (then read back), counters are CAS on `version`, uniqueness comes from `_id` and
 * unique indexes. Uses nothing the jongodb test server lacks.
 */
export class MongoAuthStore implements AuthStore {
  private readonly secrets: Collection<SecretsDoc>;
  private readonly namespaces: Collection<NamespaceDoc>;
  private readonly throttles: Collection<ThrottleDoc>;
  private readonly audit: Collection<AuditDoc>;
  private readonly revokedJtis: Collection<RevokedJtiDoc>;
  private readonly revokedBefore: Collection<RevokedBeforeDoc>;
  private readonly bindings: Collection<BindingDoc>;
  private readonly trusted: Collection<TrustDoc>;

  private constructor(
    db: Db,
    private readonly client: MongoClient,
  ) {
    this.secrets = db.collection('auth_secrets');
    this.namespaces = db.collection('auth_namespaces');
    this.throttles = db.collection('auth_throttles');
    this.audit = db.collection('auth_audit');
    this.revokedJtis = db.collection('auth_revoked_jtis');
    this.revokedBefore = db.collection('auth_revoked_before');
    this.bindings = db.collection('auth_telegram_bindings');
    this.trusted = db.collection('auth_trusted_clients');
  }

  /** Connects and creates the indexes (idempotent); the store owns the client from then on. */
  static async open(url: string, dbName: string): Promise<MongoAuthStore> {
    const { client, db } = await connectMongo(url, dbName);
    try {
      const store = new MongoAuthStore(db, client);
      await store.createIndexes();
      return store;
    } catch (err) {
      await client.close();
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  private async createIndexes(): Promise<void> {
    await this.namespaces.createIndex({ tokenHash: 1 }, { unique: true, name: 'tokenHash_unique' });
    await this.audit.createIndex({ namespace: 1, at: -1 }, { name: 'namespace_at' });
    await this.audit.createIndex({ at: -1 }, { name: 'at' });
    await this.revokedJtis.createIndex({ expireAt: 1 }, { expireAfterSeconds: 0, name: 'expireAt_ttl' });
    // prune() deletes by these fields (the TTL index above does the jtis on a real MongoDB too).
    await this.revokedJtis.createIndex({ expiresAt: 1 }, { name: 'expiresAt' });
    await this.throttles.createIndex({ windowStart: 1 }, { name: 'windowStart' });
    await this.trusted.createIndex({ at: 1 }, { name: 'at' });
    await this.bindings.createIndex({ namespace: 1 }, { name: 'namespace' });
  }

  async getOrCreateSecrets(candidate: HubSecretsRecord): Promise<HubSecretsRecord> {
    try {
      await this.secrets.updateOne({ _id: 'hub' }, { $setOnInsert: { ...candidate } }, { upsert: true });
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
    const doc = await this.secrets.findOne({ _id: 'hub' });
    if (!doc) throw new Error('hub secrets missing after upsert');
    const { _id, ...rest } = doc;
    return rest;
  }

  async createNamespace(rec: NamespaceRecord): Promise<void> {
    const { name, ...rest } = rec;
    try {
      await this.namespaces.insertOne({ _id: name, ...rest });
    } catch (err) {
      if (isDuplicateKey(err)) throw new AppError('already_exists', 'namespace already exists', { cause: err });
      throw err;
    }
  }

  async getNamespace(name: Namespace): Promise<NamespaceRecord | null> {
    const d = await this.namespaces.findOne({ _id: name });
    return d ? toNamespace(d) : null;
  }

  async listNamespaces(): Promise<NamespaceRecord[]> {
    return (await this.namespaces.find({}).sort({ createdAt: 1, _id: 1 }).toArray()).map(toNamespace);
  }

  async findNamespaceByTokenHash(tokenHash: string): Promise<NamespaceRecord | null> {
    const d = await this.namespaces.findOne({ tokenHash: { $eq: tokenHash } });
    return d ? toNamespace(d) : null;
  }

  async rotateNamespaceToken(name: Namespace, tokenHash: string, at: number): Promise<boolean> {
    const res = await this.namespaces.updateOne({ _id: name }, { $set: { tokenHash, rotatedAt: at, revoked: false } });
    return res.matchedCount === 1;
  }

  async revokeNamespace(name: Namespace, at: number): Promise<boolean> {
    const res = await this.namespaces.updateOne({ _id: name }, { $set: { revoked: true, rotatedAt: at } });
    return res.matchedCount === 1;
  }

  async touchNamespace(name: Namespace, at: number): Promise<void> {
    await this.namespaces.updateOne({ _id: name }, { $set: { lastUsedAt: at } });
  }

  async getThrottle(addr: string): Promise<ThrottleRecord | null> {
    const d = await this.throttles.findOne({ _id: addr });
    return d ? { addr: d._id, count: d.count, windowStart: d.windowStart, version: d.version } : null;
  }

  async casThrottle(addr: string, expectedVersion: number | null, next: { count: number; windowStart: number }): Promise<boolean> {
    if (expectedVersion === null) {
      try {
        await this.throttles.insertOne({ _id: addr, count: next.count, windowStart: next.windowStart, version: 1 });
        return true;
      } catch (err) {
        if (isDuplicateKey(err)) return false;
        throw err;
      }
    }
    const res = await this.throttles.updateOne(
      { _id: addr, version: expectedVersion },
      { $set: { count: next.count, windowStart: next.windowStart, version: expectedVersion + 1 } },
    );
    return res.matchedCount === 1;
  }

  async getTrust(key: string): Promise<number | null> {
    const d = await this.trusted.findOne({ _id: { $eq: key } });
    return d?.at ?? null;
  }

  async putTrust(key: string, at: number): Promise<void> {
    // Keeps the latest time without $max (as setRevokedBefore): only an older value matches.
    try {
      await this.trusted.updateOne({ _id: key, at: { $lt: at } }, { $set: { at } }, { upsert: true });
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
  }

  async appendAudit(rec: AuditRecord): Promise<void> {
    const { id, ...rest } = rec;
    await this.audit.insertOne({ _id: id, ...rest });
  }

  async listAudit(ns: Namespace | null, opts: { limit: number; before?: number }): Promise<AuditRecord[]> {
    const filter: Filter<AuditDoc> = {};
    if (ns !== null) filter.namespace = { $eq: ns };
    if (opts.before !== undefined) filter.at = { $lt: opts.before };
    const docs = await this.audit.find(filter).sort({ at: -1, _id: -1 }).limit(opts.limit).toArray();
    return docs.map(toAudit);
  }

  async revokeJti(ns: Namespace, jti: string, expiresAt: number): Promise<void> {
    try {
      await this.revokedJtis.updateOne(
        { _id: jti },
        { $setOnInsert: { namespace: ns, expiresAt, expireAt: new Date(expiresAt * 1000) } },
        { upsert: true },
      );
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
  }

  async listRevokedJtis(nowSec: number): Promise<RevokedJtiRecord[]> {
    const docs = await this.revokedJtis.find({ expiresAt: { $gt: nowSec } }).toArray();
    return docs.map((d) => ({ jti: d._id, namespace: parseNamespace(d.namespace), expiresAt: d.expiresAt }));
  }

  async setRevokedBefore(ns: Namespace, sec: number): Promise<void> {
    // Keeps the maximum without $max: the upsert only matches a smaller value; when a larger one
    // is stored, the insert half of the upsert hits the _id and is ignored.
    try {
      await this.revokedBefore.updateOne({ _id: ns, sec: { $lt: sec } }, { $set: { sec } }, { upsert: true });
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
  }

  async listRevokedBefore(): Promise<Record<string, number>> {
    const docs = await this.revokedBefore.find({}).toArray();
    return Object.fromEntries(docs.map((d) => [d._id, d.sec]));
  }

  async getTelegramBinding(telegramUserId: number): Promise<TelegramBinding | null> {
    const d = await this.bindings.findOne({ _id: telegramUserId });
    return d ? { telegramUserId: d._id, namespace: parseNamespace(d.namespace), createdAt: d.createdAt } : null;
  }

  async bindTelegram(ns: Namespace, telegramUserId: number, at: number): Promise<TelegramBinding> {
    try {
      await this.bindings.insertOne({ _id: telegramUserId, namespace: ns, createdAt: at });
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
    const existing = await this.getTelegramBinding(telegramUserId);
    if (!existing) throw new Error('telegram binding missing after insert');
    return existing;
  }

  async unbindTelegram(ns: Namespace, telegramUserId: number): Promise<boolean> {
    const res = await this.bindings.deleteOne({ _id: telegramUserId, namespace: { $eq: ns } });
    return res.deletedCount === 1;
  }

  async listTelegramRecipients(ns: Namespace): Promise<number[]> {
    const docs = await this.bindings.find({ namespace: { $eq: ns } }).sort({ _id: 1 }).toArray();
    return docs.map((d) => d._id);
  }

  async listTelegramBindings(ns: Namespace): Promise<TelegramBinding[]> {
    const docs = await this.bindings.find({ namespace: { $eq: ns } }).sort({ createdAt: 1, _id: 1 }).toArray();
    return docs.map((d) => ({ telegramUserId: d._id, namespace: parseNamespace(d.namespace), createdAt: d.createdAt }));
  }

  async deleteTelegramBindings(ns: Namespace): Promise<number> {
    return (await this.bindings.deleteMany({ namespace: { $eq: ns } })).deletedCount;
  }

  async prune(c: PruneCutoffs): Promise<PruneCounts> {
    const jtis = (await this.revokedJtis.deleteMany({ expiresAt: { $lt: c.jtiExpiredBeforeSec } })).deletedCount;
    const throttles = (await this.throttles.deleteMany({ windowStart: { $lt: c.throttleStartedBefore } })).deletedCount;
    const trust = (await this.trusted.deleteMany({ at: { $lt: c.trustBefore } })).deletedCount;
    let audit = (await this.audit.deleteMany({ at: { $lt: c.auditBefore } })).deletedCount;
    // The newest `auditKeep` rows stay: everything older than the oldest of them goes.
    const [oldestKept] = await this.audit.find({}).sort({ at: -1, _id: -1 }).skip(c.auditKeep - 1).limit(1).toArray();
    if (oldestKept) audit += (await this.audit.deleteMany({ at: { $lt: oldestKept.at } })).deletedCount;
    return { jtis, throttles, trust, audit };
  }
}
