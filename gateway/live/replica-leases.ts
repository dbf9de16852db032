import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '../../lib/logger.js';
import { isNamespace, subjectToken, type Namespace } from '../../lib/namespace.js';
import type { LivenessKind } from './socket-context.js';

export const REPLICAS_BUCKET = 'teamhub_replicas';
export const LIVE_BUCKET = 'teamhub_live';
const SWEEPER_KEY = 'sweeper';

export interface LiveRecord {
  owner: string;
  kind: LivenessKind;
  namespace: Namespace;
  id: string;
}

const leaseKey = (replicaId: string) => `replica.${subjectToken(replicaId)}`;
const liveKey = (kind: LivenessKind, ns: string, id: string) => `${kind}.${subjectToken(ns)}.${subjectToken(id)}`;

function parseRecord(bytes: Uint8Array): LiveRecord | null {
  try {
    const v = JSON.parse(new TextDecoder().decode(bytes)) as Partial<LiveRecord>;
    if (typeof v.owner !== 'string' || (v.kind !== 'session' && v.kind !== 'machine') || !isNamespace(v.namespace) || typeof v.id !== 'string') return null;
    return v as LiveRecord;
  } catch {
    return null;
  }
}

/**
 * Replica leases and liveness ownership in NATS KV. Each replica renews `replica.<id>` (bucket
 * TTL = lease); an entity made active here is recorded in `teamhub_live` as owned by this
 * replica. One replica, holding the `sweeper` lease, marks entities of replicas whose lease is
 * gone inactive (`onDead`) and deletes their records.
 */
export class ReplicaLeases {
  private timer: NodeJS.Timeout | undefined;
  private sweeperRev: number | null = null;
  private ticking = false;

  private constructor(
    private readonly replicas: KV,
    private readonly live: KV,
    private readonly replicaId: string,
    private readonly leaseMs: number,
    private readonly onDead: (rec: LiveRecord) => Promise<void>,
    private readonly log: Logger,
  ) {}

  static async start(nc: NatsConnection, replicaId: string, leaseMs: number, onDead: (rec: LiveRecord) => Promise<void>, log: Logger): Promise<ReplicaLeases> {
    const kvm = new Kvm(nc);
    const replicas = await kvm.create(REPLICAS_BUCKET, { ttl: leaseMs, history: 1 });
    const live = await kvm.create(LIVE_BUCKET, { history: 1 });
    const leases = new ReplicaLeases(replicas, live, replicaId, leaseMs, onDead, log);
    await leases.renew();
    leases.timer = setInterval(() => void leases.tick(), Math.max(50, Math.floor(leaseMs / 3)));
    leases.timer.unref();
    return leases;
  }

  async claim(kind: LivenessKind, ns: Namespace, id: string): Promise<void> {
    const rec: LiveRecord = { owner: this.replicaId, kind, namespace: ns, id };
    await this.live.put(liveKey(kind, ns, id), JSON.stringify(rec));
  }

  /** Deletes the record if this replica owns it. */
  async release(kind: LivenessKind, ns: Namespace, id: string): Promise<void> {
    const key = liveKey(kind, ns, id);
    const e = await this.live.get(key);
    if (!e || e.operation !== 'PUT') return;
    if (parseRecord(e.value)?.owner !== this.replicaId) return;
    await this.live.delete(key, { previousSeq: e.revision }).catch(() => undefined);
  }

  /** Another replica with a live lease holds it. */
  async ownedElsewhere(kind: LivenessKind, ns: Namespace, id: string): Promise<boolean> {
    const owner = await this.ownerOf(kind, ns, id);
    return owner !== null && owner !== this.replicaId && (await this.isAlive(owner));
  }

  /** Held by any replica with a live lease. */
  async isLive(kind: LivenessKind, ns: Namespace, id: string): Promise<boolean> {
    const owner = await this.ownerOf(kind, ns, id);
    return owner !== null && (await this.isAlive(owner));
  }

  private async ownerOf(kind: LivenessKind, ns: Namespace, id: string): Promise<string | null> {
    const e = await this.live.get(liveKey(kind, ns, id));
    if (!e || e.operation !== 'PUT') return null;
    return parseRecord(e.value)?.owner ?? null;
  }

  async isAlive(replicaId: string): Promise<boolean> {
    if (replicaId === this.replicaId) return true;
    const e = await this.replicas.get(leaseKey(replicaId));
    return e !== null && e.operation === 'PUT';
  }

  private async renew(): Promise<void> {
    await this.replicas.put(leaseKey(this.replicaId), JSON.stringify({ at: Date.now() }));
  }

  private async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      await this.renew();
      if (await this.holdSweeper()) await this.sweepDead();
    } catch (err) {
      this.log.warn({ err }, 'replica lease tick failed');
    } finally {
      this.ticking = false;
    }
  }

  private async holdSweeper(): Promise<boolean> {
    try {
      this.sweeperRev =
        this.sweeperRev === null
          ? await this.replicas.create(SWEEPER_KEY, this.replicaId)
          : await this.replicas.update(SWEEPER_KEY, this.replicaId, this.sweeperRev);
      return true;
    } catch {
      this.sweeperRev = null;
      return false;
    }
  }

  /** Marks every entity whose owner's lease is gone inactive, then forgets it. */
  async sweepDead(): Promise<number> {
    const keys: string[] = [];
    for await (const k of await this.live.keys()) keys.push(k);
    let swept = 0;
    const dead = new Map<string, boolean>();
    for (const key of keys) {
      const e = await this.live.get(key);
      if (!e || e.operation !== 'PUT') continue;
      const rec = parseRecord(e.value);
      if (!rec) {
        await this.live.delete(key).catch(() => undefined);
        continue;
      }
      let isDead = dead.get(rec.owner);
      if (isDead === undefined) {
        isDead = !(await this.isAlive(rec.owner));
        dead.set(rec.owner, isDead);
      }
      if (!isDead) continue;
      try {
        await this.onDead(rec);
        await this.live.delete(key, { previousSeq: e.revision }).catch(() => undefined);
        swept++;
      } catch (err) {
        this.log.warn({ err, kind: rec.kind, id: rec.id }, 'could not mark a dead replica entity inactive');
      }
    }
    if (swept > 0) this.log.info({ swept }, 'swept entities of dead gateway replicas');
    return swept;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.sweeperRev !== null) await this.replicas.delete(SWEEPER_KEY, { previousSeq: this.sweeperRev }).catch(() => undefined);
    await this.replicas.delete(leaseKey(this.replicaId)).catch(() => undefined);
  }
}
