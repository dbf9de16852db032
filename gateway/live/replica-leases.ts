import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
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
  /**
   * Set while the sweeper marks this dead owner's entity inactive: the replica sweeping and when
   * it began. A claim waits until it is gone, so the sweeper's "inactive" can never land after
   * a new owner's "active".
   */
  sweptBy?: string;
  sweptAt?: number;
}

/** How often a claim looks again while the sweeper holds the entity. */
const CLAIM_RETRY_MS = 20;

/** The server refused a write made on a revision that is no longer the key's last. */
function isRevisionConflict(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return err instanceof JetStreamApiError && (code === JetStreamApiCodes.StreamWrongLastSequence || code === JetStreamApiCodes.StreamWrongLastSequenceUnknown);
}

/** A live record as stored: who owns the entity, with no sweeper's mark. */
const recordText = (owner: string, kind: LivenessKind, namespace: Namespace, id: string): string => JSON.stringify({ owner, kind, namespace, id } satisfies LiveRecord);

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
 *
 * The sweeper does not read the live records while every replica is alive: it watches the
 * replicas bucket (a renewal every third of a lease per replica) and reads the live records only
 * when a lease was deleted or was not renewed within a lease, when it takes the sweeper lease
 * (a replica may have died while nobody swept), and after its watch had to start again. So the
 * guarantee stays (a dead replica's entities go inactive within about a lease and a tick) and a
 * hub with 2,000 active sessions does not make 2,000 KV requests every few seconds for it.
 *
 * A dead owner's entity is taken (marked `sweptBy`) before it is marked inactive, and a claim
 * waits while it is taken: otherwise a CLI reconnecting to a live replica mid-sweep could be
 * marked active, then inactive by the sweep, and stay so while it heartbeats.
 */
export class ReplicaLeases {
  private timer: NodeJS.Timeout | undefined;
  private sweeperRev: number | null = null;
  private ticking = false;
  /** While this replica sweeps: the lease watch and when (this clock) each lease key was last renewed. */
  private watch: { stop: () => void; renewed: Map<string, number> } | null = null;
  /** A sweep is due: a lease vanished or went stale, or the watch (re)started. */
  private sweepDue = false;
  /** Sweeps run (tests and logs): each reads every live record once. */
  readonly stats = { sweeps: 0 };

  private constructor(
    private readonly replicas: KV,
    private readonly live: KV,
    private readonly replicaId: string,
    private readonly leaseMs: number,
    private readonly onDead: (rec: LiveRecord) => Promise<void>,
    private readonly log: Logger,
    private readonly clock: () => number,
  ) {}

  /** `opts.replicas`: copies of both buckets in a NATS cluster (TEAMHUB_NATS_REPLICAS). */
  static async start(
    nc: NatsConnection,
    replicaId: string,
    leaseMs: number,
    onDead: (rec: LiveRecord) => Promise<void>,
    log: Logger,
    opts: { replicas?: number; clock?: () => number } = {},
  ): Promise<ReplicaLeases> {
    const kvm = new Kvm(nc);
    const replicas = await kvm.create(REPLICAS_BUCKET, { ttl: leaseMs, history: 1, replicas: opts.replicas ?? 1 });
    const live = await kvm.create(LIVE_BUCKET, { history: 1, replicas: opts.replicas ?? 1 });
    const leases = new ReplicaLeases(replicas, live, replicaId, leaseMs, onDead, log, opts.clock ?? Date.now);
    await leases.renew();
    leases.timer = setInterval(() => void leases.tick(), Math.max(50, Math.floor(leaseMs / 3)));
    leases.timer.unref();
    return leases;
  }

  /**
   * Records this replica as the entity's owner. Written on the revision read, so a sweeper that
   * took the entity in between is seen; while one holds it (at most a lease: a sweeper that died
   * meanwhile holds it no longer), the claim waits for its mark to be stored and lifted.
   */
  async claim(kind: LivenessKind, ns: Namespace, id: string): Promise<void> {
    const key = liveKey(kind, ns, id);
    const rec = recordText(this.replicaId, kind, ns, id);
    // Our own bound as well: the sweeper's clock may be another machine's.
    const waitUntil = this.clock() + this.leaseMs;
    for (;;) {
      const e = await this.live.get(key);
      const current = e && e.operation === 'PUT' ? e : null;
      const sweptAt = current ? parseRecord(current.value)?.sweptAt : undefined;
      const now = this.clock();
      if (typeof sweptAt === 'number' && now - sweptAt < this.leaseMs && now < waitUntil) {
        await new Promise((r) => setTimeout(r, CLAIM_RETRY_MS));
        continue;
      }
      try {
        if (current) await this.live.update(key, rec, current.revision);
        else await this.live.create(key, rec);
        return;
      } catch (err) {
        if (!isRevisionConflict(err)) throw err;
      }
    }
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
      if (!(await this.holdSweeper())) {
        this.stopWatch();
        return;
      }
      if (!this.watch) await this.startWatch();
      if ((await this.staleLeaseGone()) || this.sweepDue) {
        this.sweepDue = false;
        await this.sweepDead().catch((err: unknown) => {
          this.sweepDue = true; // the records could not be read: try again on the next tick
          throw err;
        });
      }
    } catch (err) {
      this.log.warn({ err }, 'replica lease tick failed');
    } finally {
      this.ticking = false;
    }
  }

  /**
   * Watches every replica's lease: a renewal notes the time, a deletion (a replica stopping)
   * makes a sweep due. A lease that expires is simply gone from the bucket, with no notice, so
   * `staleLeaseGone` finds those by their last renewal.
   */
  private async startWatch(): Promise<void> {
    const renewed = new Map<string, number>();
    const iter = await this.replicas.watch({ key: 'replica.>' });
    const watch = { stop: () => iter.stop(), renewed };
    this.watch = watch;
    this.sweepDue = true; // a replica may have died while no watch was looking
    void (async () => {
      for await (const e of iter) {
        if (e.operation === 'PUT') renewed.set(e.key, this.clock());
        else if (renewed.delete(e.key)) this.sweepDue = true;
      }
    })()
      .catch((err: unknown) => this.log.warn({ err }, 'replica lease watch failed'))
      .finally(() => {
        // Ended without stopWatch (the connection was lost): the next tick starts it again.
        if (this.watch === watch) this.watch = null;
      });
  }

  private stopWatch(): void {
    const w = this.watch;
    this.watch = null;
    w?.stop();
  }

  /**
   * True when a lease not renewed for a whole lease is gone from the bucket (then forgotten
   * here, so it counts once). One that is stale but still there (the server expires keys a
   * little after their TTL) is asked about again on the next tick, not forgotten: otherwise its
   * replica's death would go unswept.
   */
  private async staleLeaseGone(): Promise<boolean> {
    if (!this.watch) return false;
    const renewed = this.watch.renewed;
    const cutoff = this.clock() - this.leaseMs;
    let gone = false;
    for (const [key, at] of [...renewed]) {
      if (at >= cutoff) continue;
      const e = await this.replicas.get(key);
      if (e && e.operation === 'PUT') continue;
      if (renewed.get(key) !== at) continue; // renewed while we asked: alive
      renewed.delete(key);
      gone = true;
    }
    return gone;
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

  /**
   * Marks every entity whose owner's lease is gone inactive, then forgets it. Reads the live
   * records in one pass (one ordered consumer), not one KV request per record.
   */
  async sweepDead(): Promise<number> {
    this.stats.sweeps++;
    const records: Array<{ key: string; revision: number; value: Uint8Array }> = [];
    for await (const e of await this.live.history()) if (e.operation === 'PUT') records.push({ key: e.key, revision: e.revision, value: e.value });
    let swept = 0;
    const dead = new Map<string, boolean>();
    for (const { key, revision, value } of records) {
      const rec = parseRecord(value);
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
      // Taken first, on the revision read: a claim since then means a live owner, left alone;
      // a claim from now on waits until the mark below is stored.
      let markRev: number;
      try {
        markRev = await this.live.update(key, JSON.stringify({ ...rec, sweptBy: this.replicaId, sweptAt: this.clock() } satisfies LiveRecord), revision);
      } catch (err) {
        if (isRevisionConflict(err)) continue;
        throw err;
      }
      try {
        await this.onDead(rec);
        await this.live.delete(key, { previousSeq: markRev }).catch(() => undefined);
        swept++;
      } catch (err) {
        this.log.warn({ err, kind: rec.kind, id: rec.id }, 'could not mark a dead replica entity inactive');
        // Handed back, so a claim need not wait for the next try.
        await this.live.update(key, recordText(rec.owner, rec.kind, rec.namespace, rec.id), markRev).catch(() => undefined);
        this.sweepDue = true; // try again on the next tick
      }
    }
    if (swept > 0) this.log.info({ swept }, 'swept entities of dead gateway replicas');
    return swept;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.stopWatch();
    if (this.sweeperRev !== null) await this.replicas.delete(SWEEPER_KEY, { previousSeq: this.sweeperRev }).catch(() => undefined);
    await this.replicas.delete(leaseKey(this.replicaId)).catch(() => undefined);
  }
}
