import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { Namespace } from '../../../lib/namespace.js';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const SEQ_BYTES = 8;

/**
 * SSE event ids: base64url(iv | AES-256-GCM(stream seq) | tag) with the namespace as AAD. The
 * JetStream sequence is hub-global, so a plain one would tell bob how busy alice is; sealed, it
 * reveals nothing, and an id copied into another namespace's stream does not open there.
 * Every replica derives the same key from the internal secret, so any replica reads any id.
 */
export class EventIdCodec {
  private readonly key: Buffer;

  constructor(internalSecret: string) {
    this.key = Buffer.from(hkdfSync('sha256', internalSecret, 'teamhub-sse-event-id', 'aes-256-gcm v1', 32));
  }

  encode(ns: Namespace, seq: number): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(ns, 'utf8'));
    const plain = Buffer.alloc(SEQ_BYTES);
    plain.writeBigUInt64BE(BigInt(seq));
    const ct = Buffer.concat([cipher.update(plain), cipher.final()]);
    return Buffer.concat([iv, ct, cipher.getAuthTag()]).toString('base64url');
  }

  /** The stream seq inside an id of `ns`, or null when it is malformed or from another namespace/key. */
  decode(ns: Namespace, id: string): number | null {
    if (!/^[A-Za-z0-9_-]{1,128}$/.test(id)) return null;
    const raw = Buffer.from(id, 'base64url');
    if (raw.length !== IV_BYTES + SEQ_BYTES + TAG_BYTES) return null;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(ns, 'utf8'));
      decipher.setAuthTag(raw.subarray(IV_BYTES + SEQ_BYTES));
      const plain = Buffer.concat([decipher.update(raw.subarray(IV_BYTES, IV_BYTES + SEQ_BYTES)), decipher.final()]);
      const seq = plain.readBigUInt64BE();
      return seq > BigInt(Number.MAX_SAFE_INTEGER) ? null : Number(seq);
    } catch {
      return null;
    }
  }
}
