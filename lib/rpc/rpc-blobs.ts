import { randomUUID } from 'node:crypto';
import type { NatsConnection } from '@nats-io/transport-node';
import { StorageType } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { Objm, type ObjectStore } from '@nats-io/obj';

export const RPC_BLOB_BUCKET = 'teamhub_rpc_payloads';
/** A payload nobody took (its caller timed out or died) is dropped after this. */
const BLOB_TTL_MS = 10 * 60 * 1000;
/** Room for a few 50 MB uploads in flight at once; the store refuses more instead of growing. */
const BUCKET_MAX_BYTES = 1024 * 1024 * 1024;
/** Payloads up to this size travel inside the NATS message itself. */
const INLINE_MAX_BYTES = 256 * 1024;

/**
 * RPC payloads too large for one NATS message (core NATS allows 1 MB by default; HAPI relays
 * uploads of 50 MB and files and images of 25 MB). The sender puts the bytes into a JetStream
 * object store, which chunks them, and sends the name; the receiver takes them out (read, then
 * delete). Names are random, and only gateway replicas and the hub's own processes reach NATS.
 */
export class RpcBlobs {
  private constructor(private readonly store: ObjectStore, private readonly inlineMax: number) {}

  /** `opts.replicas`: copies of the bucket in a NATS cluster (TEAMHUB_NATS_REPLICAS). */
  static async open(nc: NatsConnection, opts: { replicas?: number } = {}): Promise<RpcBlobs> {
    const store = await new Objm(nc).create(RPC_BLOB_BUCKET, { ttl: nanos(BLOB_TTL_MS), storage: StorageType.File, max_bytes: BUCKET_MAX_BYTES, replicas: opts.replicas ?? 1 });
    const maxPayload = nc.info?.max_payload ?? 1024 * 1024;
    return new RpcBlobs(store, Math.min(INLINE_MAX_BYTES, Math.floor(maxPayload / 2)));
  }

  /** Whether `text` is too large to send inline. */
  tooLarge(text: string): boolean {
    return Buffer.byteLength(text, 'utf8') > this.inlineMax;
  }

  /** Stores `text`; answers the name to send. */
  async put(text: string): Promise<string> {
    const name = randomUUID();
    await this.store.putBlob({ name }, new Uint8Array(Buffer.from(text, 'utf8')));
    return name;
  }

  /** Reads and deletes the payload `name`; null when it is gone (expired or taken). */
  async take(name: string): Promise<string | null> {
    const bytes = await this.store.getBlob(name);
    if (bytes === null) return null;
    await this.store.delete(name).catch(() => undefined);
    return Buffer.from(bytes).toString('utf8');
  }

  /** Deletes the payload `name` if it is still there (the receiver normally took it). */
  async discard(name: string): Promise<void> {
    await this.store.delete(name).catch(() => undefined);
  }
}
