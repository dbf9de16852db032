import type { Collection, MongoClient } from 'mongodb';
import { connectMongo, isDuplicateKey } from '../../lib/store/mongo.js';
import { parseNamespace, type Namespace } from '../../lib/namespace.js';
import type { DeviceRecord, HubRecord, NotifyStore, PushSubscriptionRecord, WorkEventRecord, WorkLinkRecord } from './store.js';

/** A string `_id` for a compound key: JSON of the parts, so no two keys collide. */
const keyOf = (...parts: string[]): string => JSON.stringify(parts);

type Doc<T> = Omit<T, 'namespace'> & { _id: string; namespace: string };
type PushDoc = Doc<PushSubscriptionRecord>;
type DeviceDoc = Doc<DeviceRecord>;
interface HubDoc {
  _id: string;
  json: string;
  version: number;
}
type EventDoc = Omit<Doc<WorkEventRecord>, 'id'>;
type LinkDoc = Omit<Doc<WorkLinkRecord>, 'id'>;
/** Claims an idempotency key of a namespace for one event (its own collection: `_id` makes it unique). */
interface EventKeyDoc {
  _id: string;
  eventId: string;
  at: number;
}

/** A claim this old whose event is missing was left by a crash (a live writer takes milliseconds). */
const STALE_CLAIM_MS = 30_000;

function strip<T extends { _id: string; namespace: string }>(d: T): Omit<T, '_id'> & { namespace: Namespace } {
  const { _id, ...rest } = d;
  return { ...rest, namespace: parseNamespace(d.namespace) };
}
const toEvent = (d: EventDoc): WorkEventRecord => ({ ...strip(d), id: d._id });
const toLink = (d: LinkDoc): WorkLinkRecord => ({ ...strip(d), id: d._id });

/**
 * MongoDB store: single-document writes, uniqueness from `_id` (compound keys as JSON strings),
 * compound indexes starting with `namespace`. An event's idempotency key is claimed in its own
 * collection before the event is written, so two replicas racing on one key write one event.
 */
export class MongoNotifyStore implements NotifyStore {
  private constructor(
    private readonly client: MongoClient,
    private readonly push: Collection<PushDoc>,
    private readonly devices: Collection<DeviceDoc>,
    private readonly hub: Collection<HubDoc>,
    private readonly events: Collection<EventDoc>,
    private readonly eventKeys: Collection<EventKeyDoc>,
    private readonly links: Collection<LinkDoc>,
  ) {}

  /** Connects and creates the indexes (idempotent); the store owns the client from then on. */
  static async open(url: string, dbName: string): Promise<MongoNotifyStore> {
    const { client, db } = await connectMongo(url, dbName);
    try {
      const push = db.collection<PushDoc>('push_subscriptions');
      const devices = db.collection<DeviceDoc>('devices');
      const events = db.collection<EventDoc>('work_events');
      const links = db.collection<LinkDoc>('work_links');
      await push.createIndex({ namespace: 1, createdAt: -1 }, { name: 'namespace_createdAt' });
      await devices.createIndex({ namespace: 1, token: 1 }, { name: 'namespace_token' });
      await events.createIndex({ namespace: 1, relatedSessionId: 1, ts: -1 }, { name: 'namespace_session_ts' });
      await links.createIndex({ namespace: 1, fromEventId: 1 }, { name: 'namespace_from' });
      await links.createIndex({ namespace: 1, toEventId: 1 }, { name: 'namespace_to' });
      return new MongoNotifyStore(client, push, devices, db.collection<HubDoc>('hub_records'), events, db.collection<EventKeyDoc>('work_event_keys'), links);
    } catch (err) {
      await client.close();
      throw err;
    }
  }

  async putPushSubscription(ns: Namespace, rec: PushSubscriptionRecord): Promise<{ created: boolean }> {
    const res = await this.push.replaceOne({ _id: keyOf(ns, rec.endpoint) }, { ...rec, namespace: ns }, { upsert: true });
    return { created: res.upsertedCount > 0 };
  }

  async hasPushSubscription(ns: Namespace, endpoint: string): Promise<boolean> {
    return (await this.push.findOne({ _id: keyOf(ns, endpoint) })) !== null;
  }

  async countPushSubscriptions(ns: Namespace): Promise<number> {
    return this.push.countDocuments({ namespace: ns });
  }

  async removePushSubscription(ns: Namespace, endpoint: string): Promise<boolean> {
    return (await this.push.deleteOne({ _id: keyOf(ns, endpoint) })).deletedCount > 0;
  }

  async listPushSubscriptions(ns: Namespace): Promise<PushSubscriptionRecord[]> {
    return (await this.push.find({ namespace: ns }).sort({ createdAt: -1, _id: 1 }).toArray()).map(strip);
  }

  async putDevice(ns: Namespace, rec: DeviceRecord): Promise<void> {
    const id = keyOf(ns, rec.deviceId, rec.platform);
    for (const other of await this.devices.find({ namespace: ns, token: rec.token }).toArray()) {
      if (other._id !== id) await this.devices.deleteOne({ _id: other._id });
    }
    const existing = await this.devices.findOne({ _id: id });
    await this.devices.replaceOne({ _id: id }, { ...rec, namespace: ns, createdAt: existing?.createdAt ?? rec.createdAt }, { upsert: true });
  }

  async hasDevice(ns: Namespace, deviceId: string, platform: DeviceRecord['platform']): Promise<boolean> {
    return (await this.devices.findOne({ _id: keyOf(ns, deviceId, platform) })) !== null;
  }

  async countDevices(ns: Namespace): Promise<number> {
    return this.devices.countDocuments({ namespace: ns });
  }

  async removeDevicesByToken(ns: Namespace, token: string): Promise<number> {
    return (await this.devices.deleteMany({ namespace: ns, token })).deletedCount;
  }

  async getHubRecord(name: string): Promise<HubRecord | null> {
    const d = await this.hub.findOne({ _id: name });
    return d ? { name: d._id, json: d.json, version: d.version } : null;
  }

  async createHubRecord(name: string, json: string): Promise<boolean> {
    try {
      await this.hub.insertOne({ _id: name, json, version: 1 });
      return true;
    } catch (err) {
      if (isDuplicateKey(err)) return false;
      throw err;
    }
  }

  async updateHubRecord(name: string, json: string, expectedVersion: number): Promise<boolean> {
    const res = await this.hub.updateOne({ _id: name, version: expectedVersion }, { $set: { json, version: expectedVersion + 1 } });
    return res.modifiedCount > 0;
  }

  async insertWorkEvent(ns: Namespace, rec: WorkEventRecord): Promise<'inserted' | 'duplicate'> {
    const { id, ...rest } = rec;
    if (rec.idempotencyKey !== null && !(await this.claimKey(ns, rec.idempotencyKey, id))) return 'duplicate';
    await this.events.insertOne({ ...rest, _id: id, namespace: ns });
    return 'inserted';
  }

  /**
   * Claims the key for `eventId`; false when another event holds it. A claim whose event was never
   * written (a crash in between) is released and claimed again, once.
   */
  private async claimKey(ns: Namespace, key: string, eventId: string): Promise<boolean> {
    const keyId = keyOf(ns, key);
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await this.eventKeys.insertOne({ _id: keyId, eventId, at: Date.now() });
        return true;
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
      }
      const claim = await this.eventKeys.findOne({ _id: keyId });
      if (!claim) continue;
      if (Date.now() - claim.at < STALE_CLAIM_MS || (await this.events.findOne({ _id: claim.eventId, namespace: ns }))) return false;
      await this.eventKeys.deleteOne({ _id: keyId, eventId: claim.eventId });
    }
    return false;
  }

  async workEventByIdempotencyKey(ns: Namespace, key: string): Promise<WorkEventRecord | null> {
    const claim = await this.eventKeys.findOne({ _id: keyOf(ns, key) });
    return claim ? this.getWorkEvent(ns, claim.eventId) : null;
  }

  async getWorkEvent(ns: Namespace, id: string): Promise<WorkEventRecord | null> {
    const d = await this.events.findOne({ _id: id, namespace: ns });
    return d ? toEvent(d) : null;
  }

  async listWorkEventsBySession(ns: Namespace, relatedSessionId: string, limit: number): Promise<WorkEventRecord[]> {
    return (await this.events.find({ namespace: ns, relatedSessionId }).sort({ ts: -1, _id: 1 }).limit(limit).toArray()).map(toEvent);
  }

  async countWorkEvents(ns: Namespace): Promise<number> {
    return this.events.countDocuments({ namespace: ns });
  }

  async insertWorkLink(ns: Namespace, rec: WorkLinkRecord): Promise<void> {
    const { id, ...rest } = rec;
    await this.links.insertOne({ ...rest, _id: id, namespace: ns });
  }

  async listWorkLinks(ns: Namespace, eventId: string): Promise<WorkLinkRecord[]> {
    // Two queries rather than $or: the same results on every Mongo-wire server.
    const [from, to] = await Promise.all([this.links.find({ namespace: ns, fromEventId: eventId }).toArray(), this.links.find({ namespace: ns, toEventId: eventId }).toArray()]);
    const byId = new Map([...from, ...to].map((d) => [d._id, toLink(d)]));
    return [...byId.values()].sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
  }

  async countWorkLinks(ns: Namespace): Promise<number> {
    return this.links.countDocuments({ namespace: ns });
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
