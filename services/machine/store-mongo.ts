import type { Collection, MongoClient } from 'mongodb';
import { connectMongo, isDuplicateKey } from '../../lib/store/mongo.js';
import { MongoOutbox } from '../../lib/store/mongo-outbox.js';
import { parseNamespace, type Namespace } from '../../lib/namespace.js';
import type { CasInput, CasOutcome, MachineRecord, MachineStore } from './store.js';

/** Stored shape. `_id` is the global machine id; JSON documents are JSON text. */
interface MachineDoc {
  _id: string;
  namespace: string;
  seq: number;
  createdAt: number;
  updatedAt: number;
  active: boolean;
  activeAt: number;
  metadata: string | null;
  metadataVersion: number;
  runnerState: string | null;
  runnerStateVersion: number;
  health: string | null;
}

function toRecord(d: MachineDoc): MachineRecord {
  return {
    id: d._id,
    namespace: parseNamespace(d.namespace),
    seq: d.seq,
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
    active: d.active,
    activeAt: d.activeAt,
    metadataJson: d.metadata ?? null,
    metadataVersion: d.metadataVersion,
    runnerStateJson: d.runnerState ?? null,
    runnerStateVersion: d.runnerStateVersion,
    healthJson: d.health ?? null,
  };
}

const FIELDS = {
  metadata: { doc: 'metadata', version: 'metadataVersion' },
  runnerState: { doc: 'runnerState', version: 'runnerStateVersion' },
} as const;

export const MACHINES_COLLECTION = 'machines';

/**
 * MongoDB store. Single-document updates only (compare-and-swap on a version field); global id
 * uniqueness comes from `_id`. Avoids what the jongodb test server lacks (findOneAndDelete,
 * projections, $push/$pull).
 */
export class MongoMachineStore implements MachineStore {
  private constructor(
    private readonly client: MongoClient,
    private readonly col: Collection<MachineDoc>,
    readonly outbox: MongoOutbox,
  ) {}

  /** Connects and creates the indexes (idempotent); the store owns the client from then on. */
  static async open(url: string, dbName: string): Promise<MongoMachineStore> {
    const { client, db } = await connectMongo(url, dbName);
    try {
      const col = db.collection<MachineDoc>(MACHINES_COLLECTION);
      await col.createIndex({ namespace: 1, updatedAt: -1 }, { name: 'namespace_updatedAt' });
      return new MongoMachineStore(client, col, await MongoOutbox.open(db));
    } catch (err) {
      await client.close();
      throw err;
    }
  }

  async ownerOf(id: string): Promise<Namespace | null> {
    const d = await this.col.findOne({ _id: id });
    return d ? parseNamespace(d.namespace) : null;
  }

  async get(ns: Namespace, id: string): Promise<MachineRecord | null> {
    const d = await this.col.findOne({ _id: id, namespace: ns });
    return d ? toRecord(d) : null;
  }

  async list(ns: Namespace, opts: { activeOnly: boolean }): Promise<MachineRecord[]> {
    const filter = opts.activeOnly ? { namespace: ns, active: true } : { namespace: ns };
    const docs = await this.col.find(filter).sort({ updatedAt: -1, _id: 1 }).toArray();
    return docs.map(toRecord);
  }

  async count(ns: Namespace): Promise<number> {
    return this.col.countDocuments({ namespace: ns });
  }

  async insert(ns: Namespace, rec: MachineRecord): Promise<boolean> {
    try {
      await this.col.insertOne({
        _id: rec.id,
        namespace: ns,
        seq: rec.seq,
        createdAt: rec.createdAt,
        updatedAt: rec.updatedAt,
        active: rec.active,
        activeAt: rec.activeAt,
        metadata: rec.metadataJson,
        metadataVersion: rec.metadataVersion,
        runnerState: rec.runnerStateJson,
        runnerStateVersion: rec.runnerStateVersion,
        health: rec.healthJson,
      });
      return true;
    } catch (err) {
      if (isDuplicateKey(err)) return false;
      throw err;
    }
  }

  async cas(ns: Namespace, id: string, input: CasInput): Promise<CasOutcome | null> {
    const f = FIELDS[input.field];
    const set: Record<string, unknown> = { [f.doc]: input.json, updatedAt: input.now };
    if (input.markActive) Object.assign(set, { active: true, activeAt: input.now });
    const updated = await this.col.findOneAndUpdate(
      { _id: id, namespace: ns, [f.version]: input.expectedVersion },
      { $set: set, $inc: { [f.version]: 1, seq: 1 } },
      { returnDocument: 'after' },
    );
    if (updated) return { ok: true, record: toRecord(updated) };
    const current = await this.col.findOne({ _id: id, namespace: ns });
    return current ? { ok: false, record: toRecord(current) } : null;
  }

  async setActive(
    ns: Namespace,
    id: string,
    change: { active: boolean; at: number; healthJson: string | null },
  ): Promise<{ changed: boolean; record: MachineRecord } | null> {
    const set: Record<string, unknown> = change.active
      ? { active: true, activeAt: change.at, health: change.healthJson }
      : { active: false, health: change.healthJson };
    const updated = await this.col.findOneAndUpdate(
      { _id: id, namespace: ns, active: !change.active },
      { $set: set },
      { returnDocument: 'after' },
    );
    if (updated) return { changed: true, record: toRecord(updated) };
    const current = await this.col.findOne({ _id: id, namespace: ns });
    return current ? { changed: false, record: toRecord(current) } : null;
  }

  async setHealth(ns: Namespace, id: string, healthJson: string): Promise<MachineRecord | null> {
    const updated = await this.col.findOneAndUpdate({ _id: id, namespace: ns }, { $set: { health: healthJson } }, { returnDocument: 'after' });
    return updated ? toRecord(updated) : null;
  }

  async adminList(ns: Namespace | null): Promise<MachineRecord[]> {
    const docs =
      ns === null
        ? await this.col.find({}).sort({ namespace: 1, updatedAt: -1, _id: 1 }).toArray()
        : await this.col.find({ namespace: ns }).sort({ updatedAt: -1, _id: 1 }).toArray();
    return docs.map(toRecord);
  }

  async adminDelete(id: string): Promise<MachineRecord | null> {
    const d = await this.col.findOne({ _id: id });
    if (!d) return null;
    const res = await this.col.deleteOne({ _id: id, namespace: d.namespace });
    return res.deletedCount === 1 ? toRecord(d) : null;
  }

  async adminTransfer(id: string, to: Namespace, now: number): Promise<MachineRecord | null> {
    const updated = await this.col.findOneAndUpdate(
      { _id: id },
      { $set: { namespace: to, active: false, updatedAt: now }, $inc: { seq: 1 } },
      { returnDocument: 'after' },
    );
    return updated ? toRecord(updated) : null;
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
