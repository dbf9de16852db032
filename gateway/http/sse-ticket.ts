import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { AppError } from '../../lib/errors.js';
import { isNamespace, type Namespace } from '../../lib/namespace.js';

/** How long a ticket may wait before it is used: long enough to open an EventSource, no more. */
export const SSE_TICKET_TTL_MS = 30_000;
export const TICKETS_BUCKET = 'teamhub_sse_tickets';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const AAD = Buffer.from('teamhub sse ticket v1', 'utf8');

/** What a ticket stands for: the web JWT it was taken with (so revoking that JWT covers the stream). */
export interface TicketClaims {
  namespace: Namespace;
  jti: string;
  /** The JWT's expiry, seconds since the epoch. */
  exp: number;
  issuedMs: number;
  uid: number;
}

interface Sealed extends TicketClaims {
  until: number;
  nonce: string;
}

/**
 * Short-lived, single-use tickets for `GET /api/events?ticket=`: EventSource cannot send a header,
 * and a 4-hour JWT in a URL ends up in proxies' and browsers' histories. A ticket is sealed with
 * AES-GCM under a key derived from the internal secret (so any gateway replica opens it), lives
 * 30 s, and is spent on first use: its nonce is created in a NATS KV bucket, which refuses a second
 * create of the same key on every replica.
 */
export class SseTickets {
  private readonly key: Buffer;
  private kv: Promise<KV> | null = null;

  constructor(
    internalSecret: string,
    private readonly nc: NatsConnection,
    private readonly now: () => number = Date.now,
  ) {
    this.key = Buffer.from(hkdfSync('sha256', internalSecret, 'teamhub-sse-ticket', 'aes-256-gcm v1', 32));
  }

  private bucket(): Promise<KV> {
    this.kv ??= new Kvm(this.nc).create(TICKETS_BUCKET, { ttl: 2 * SSE_TICKET_TTL_MS, history: 1 }).catch((err: unknown) => {
      this.kv = null;
      throw err;
    });
    return this.kv;
  }

  issue(claims: TicketClaims): { ticket: string; expiresInMs: number } {
    const sealed: Sealed = { ...claims, until: this.now() + SSE_TICKET_TTL_MS, nonce: randomBytes(16).toString('base64url') };
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(AAD);
    const ct = Buffer.concat([cipher.update(JSON.stringify(sealed), 'utf8'), cipher.final()]);
    return { ticket: Buffer.concat([iv, ct, cipher.getAuthTag()]).toString('base64url'), expiresInMs: SSE_TICKET_TTL_MS };
  }

  /** The claims of a valid, unused ticket, spending it; throws AppError('unauthenticated', 'Invalid ticket'). */
  async redeem(ticket: string): Promise<TicketClaims> {
    const sealed = this.open(ticket);
    if (!sealed || sealed.until <= this.now()) throw new AppError('unauthenticated', 'Invalid ticket');
    try {
      await (await this.bucket()).create(sealed.nonce, new Uint8Array());
    } catch (err) {
      // A second use of the same ticket, anywhere (or the bucket is unreachable: refused too).
      throw new AppError('unauthenticated', 'Invalid ticket', { cause: err });
    }
    return { namespace: sealed.namespace, jti: sealed.jti, exp: sealed.exp, issuedMs: sealed.issuedMs, uid: sealed.uid };
  }

  private open(ticket: string): Sealed | null {
    if (typeof ticket !== 'string' || !/^[A-Za-z0-9_-]{40,2048}$/.test(ticket)) return null;
    const raw = Buffer.from(ticket, 'base64url');
    if (raw.length <= IV_BYTES + TAG_BYTES) return null;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, IV_BYTES));
      decipher.setAAD(AAD);
      decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
      const text = Buffer.concat([decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)), decipher.final()]).toString('utf8');
      const v = JSON.parse(text) as Partial<Sealed>;
      if (!isNamespace(v.namespace) || typeof v.jti !== 'string' || typeof v.exp !== 'number' || typeof v.issuedMs !== 'number') return null;
      if (typeof v.uid !== 'number' || typeof v.until !== 'number' || typeof v.nonce !== 'string') return null;
      return v as Sealed;
    } catch {
      return null;
    }
  }
}
