import { createECDH, createDecipheriv, createHmac, randomBytes, randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** One push a hub sent to the stub, decrypted with the subscription's private key. */
export interface ReceivedPush {
  endpoint: string;
  headers: http.IncomingHttpHeaders;
  payload: unknown;
}

/** A browser's push subscription whose push service is this stub (keys made here, RFC 8291). */
export interface StubSubscription {
  endpoint: string;
  keys: { p256dh: string; auth: string };
  decrypt(body: Buffer): Buffer;
}

const hmac = (key: Buffer, data: Buffer) => createHmac('sha256', key).update(data).digest();

/**
 * A local Web Push service on loopback: it hands out subscriptions (endpoint + P-256 and auth
 * keys, as a browser's push service would) and records what a hub sends to each, decrypting the
 * `aes128gcm` body the way the browser would before it reaches the service worker. Push services
 * are HTTPS (the web-push library speaks nothing else), so it has a self-signed certificate for
 * 127.0.0.1 that the hub trusts through `NODE_EXTRA_CA_CERTS` (see `hubEnv`).
 */
export class PushServiceStub {
  readonly received: ReceivedPush[] = [];
  private subs = new Map<string, StubSubscription>();
  private constructor(
    private readonly server: https.Server,
    readonly url: string,
    private readonly dir: string,
  ) {}

  /** Environment for the hub's processes so they trust this push service's certificate. */
  get hubEnv(): Record<string, string> {
    return { NODE_EXTRA_CA_CERTS: path.join(this.dir, 'cert.pem') };
  }

  static async start(): Promise<PushServiceStub> {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'push-stub-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], { stdio: 'ignore' });
    let stub!: PushServiceStub;
    const server = https.createServer({ key: readFileSync(path.join(dir, 'key.pem')), cert: readFileSync(path.join(dir, 'cert.pem')) }, (req: http.IncomingMessage, res: http.ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const endpoint = `${stub.url}${req.url}`;
        const sub = stub.subs.get(endpoint);
        if (req.method !== 'POST' || !sub) return res.writeHead(410).end();
        let payload: unknown;
        try {
          payload = JSON.parse(sub.decrypt(Buffer.concat(chunks)).toString('utf8'));
        } catch (err) {
          payload = { undecryptable: String(err) };
        }
        stub.received.push({ endpoint, headers: req.headers, payload });
        res.writeHead(201).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    stub = new PushServiceStub(server, `https://127.0.0.1:${(server.address() as AddressInfo).port}`, dir);
    return stub;
  }

  subscribe(name: string): StubSubscription {
    const ecdh = createECDH('prime256v1');
    const uaPublic = ecdh.generateKeys();
    const auth = randomBytes(16);
    const endpoint = `${this.url}/push/${name}-${randomUUID()}`;
    const sub: StubSubscription = {
      endpoint,
      keys: { p256dh: uaPublic.toString('base64url'), auth: auth.toString('base64url') },
      // RFC 8291 (Message Encryption for Web Push) with RFC 8188's aes128gcm, one record
      decrypt: (body) => {
        const salt = body.subarray(0, 16);
        const idlen = body[20]!;
        const asPublic = body.subarray(21, 21 + idlen);
        const ciphertext = body.subarray(21 + idlen);
        const ecdhSecret = ecdh.computeSecret(asPublic);
        const ikm = hmac(hmac(auth, ecdhSecret), Buffer.concat([Buffer.from('WebPush: info\0'), uaPublic, asPublic, Buffer.from([1])]));
        const prk = hmac(salt, ikm);
        const cek = hmac(prk, Buffer.from('Content-Encoding: aes128gcm\0\x01')).subarray(0, 16);
        const nonce = hmac(prk, Buffer.from('Content-Encoding: nonce\0\x01')).subarray(0, 12);
        const decipher = createDecipheriv('aes-128-gcm', cek, nonce);
        decipher.setAuthTag(ciphertext.subarray(ciphertext.length - 16));
        const plain = Buffer.concat([decipher.update(ciphertext.subarray(0, ciphertext.length - 16)), decipher.final()]);
        const end = plain.lastIndexOf(2); // padding delimiter of the last record
        return plain.subarray(0, end < 0 ? plain.length : end);
      },
    };
    this.subs.set(endpoint, sub);
    return sub;
  }

  to(sub: StubSubscription): ReceivedPush[] {
    return this.received.filter((r) => r.endpoint === sub.endpoint);
  }

  stop(): Promise<void> {
    return new Promise((resolve) =>
      this.server.close(() => {
        rmSync(this.dir, { recursive: true, force: true });
        resolve();
      }),
    );
  }
}

/**
 * Page script: the browser's PushManager hands out `sub` (headless Chromium has no push service
 * of its own), so the page's real opt-in flow runs against the stub.
 */
export function fakePushManagerScript(sub: { endpoint: string; keys: { p256dh: string; auth: string } }): string {
  return `(() => {
    const data = ${JSON.stringify(sub)};
    // the browser keeps a subscription across page loads: so does the fake (in this origin's storage)
    const KEY = 'test:fake-push-subscribed';
    const get = () => { try { return localStorage.getItem(KEY) === '1'; } catch { return false; } };
    const set = (v) => { try { v ? localStorage.setItem(KEY, '1') : localStorage.removeItem(KEY); } catch {} };
    const subscription = {
      endpoint: data.endpoint, expirationTime: null, options: { userVisibleOnly: true },
      getKey: () => null,
      toJSON: () => ({ endpoint: data.endpoint, expirationTime: null, keys: data.keys }),
      unsubscribe: async () => { set(false); return true; },
    };
    if (typeof PushManager !== 'undefined') {
      PushManager.prototype.subscribe = async function () { set(true); return subscription; };
      PushManager.prototype.getSubscription = async function () { return get() ? subscription : null; };
      PushManager.prototype.permissionState = async function () { return 'granted'; };
    }
  })();`;
}
