import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { Namespace } from '../../../lib/namespace.js';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const PLAIN_BYTES = 16;

/** Where an SSE event sits: its namespace stream's creation time and its sequence in that stream. */
export interface StreamPosition {
  /** The stream's creation time in ms: a stream made again (a wiped bus) starts a new history. */
  epoch: number;
  seq: number;
}

/**
 * SSE event ids: base64url(iv | AES-256-GCM(epoch | seq) | tag) with the namespace as AAD. Sealed,
 * an id reveals nothing (not how busy a namespace is, nor when its stream was made), and an id
 * copied into another namespace's stream does not open there. Every replica derives the same key
 * from the internal secret, so any replica resumes any client's stream, also after a restart.
 */
export class EventIdCodec {
  private readonly key: Buffer;

  constructor(internalSecret: string) {
    this.key = Buffer.from(hkdfSync('sha256', internalSecret, 'teamhub-sse-event-id', 'aes-256-gcm v2', 32));
  }

  encode(ns: Namespace, at: StreamPosition): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(ns, 'utf8'));
    const plain = Buffer.alloc(PLAIN_BYTES);
    plain.writeBigUInt64BE(BigInt(at.epoch), 0);
    plain.writeBigUInt64BE(BigInt(at.seq), 8);
    const ct = Buffer.concat([cipher.update(plain), cipher.final()]);
    return Buffer.concat([iv, ct, cipher.getAuthTag()]).toString('base64url');
  }

  /** The position inside an id of `ns`, or null when it is malformed or from another namespace/key. */
  decode(ns: Namespace, id: string): StreamPosition | null {
    if (!/^[A-Za-z0-9_-]{1,128}$/.test(id)) return null;
    const raw = Buffer.from(id, 'base64url');
    if (raw.length !== IV_BYTES + PLAIN_BYTES + TAG_BYTES) return null;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(ns, 'utf8'));
      decipher.setAuthTag(raw.subarray(IV_BYTES + PLAIN_BYTES));
      const plain = Buffer.concat([decipher.update(raw.subarray(IV_BYTES, IV_BYTES + PLAIN_BYTES)), decipher.final()]);
      const epoch = plain.readBigUInt64BE(0);
      const seq = plain.readBigUInt64BE(8);
      if (epoch > BigInt(Number.MAX_SAFE_INTEGER) || seq > BigInt(Number.MAX_SAFE_INTEGER)) return null;
      return { epoch: Number(epoch), seq: Number(seq) };
    } catch {
      return null;
    }
  }
}
