import { execFileSync } from 'node:child_process';
import { createECDH, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { waitFor } from '../helpers/ports.js';

/** One Web Push delivery the stub received. */
export interface ReceivedPush {
  path: string;
  headers: http.IncomingHttpHeaders;
  bytes: number;
}

export interface PushStub {
  url: string;
  /** The stub's self-signed certificate (PEM file): give it to the hub as NODE_EXTRA_CA_CERTS. */
  caFile: string;
  received: ReceivedPush[];
  /** A PushSubscription (real P-256 key, random auth) whose endpoint is `<stub>/<name>`. */
  subscription(name: string): { endpoint: string; keys: { p256dh: string; auth: string } };
  /** Waits for a push to `/<name>`. */
  waitPush(name: string, timeoutMs?: number): Promise<ReceivedPush>;
  close(): Promise<void>;
}

/**
 * A push service on loopback: accepts what a Web Push sender POSTs to a subscription endpoint
 * (201, like FCM or Mozilla's service) and records it by path, so a test can see which
 * namespace's subscription got a notification. HTTPS, because the web-push library always sends
 * over TLS: the certificate is self-signed for 127.0.0.1 (made with openssl), so the hub must be
 * started with NODE_EXTRA_CA_CERTS pointing at `caFile`.
 */
export async function startPushStub(): Promise<PushStub> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'push-stub-'));
  const caFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', keyFile, '-out', caFile], { stdio: 'ignore' });
  const received: ReceivedPush[] = [];
  const server = https.createServer({ key: readFileSync(keyFile), cert: readFileSync(caFile) }, (req, res) => {
    let bytes = 0;
    req.on('data', (c: Buffer) => (bytes += c.length));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, bytes });
      res.writeHead(201).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    caFile,
    received,
    subscription: (name) => {
      const ecdh = createECDH('prime256v1');
      ecdh.generateKeys();
      return { endpoint: `${url}/${name}`, keys: { p256dh: ecdh.getPublicKey('base64url'), auth: randomBytes(16).toString('base64url') } };
    },
    waitPush: (name, timeoutMs = 10_000) => waitFor(() => received.find((p) => p.path === `/${name}`) ?? null, { what: `push to /${name}`, timeoutMs }),
    close: () =>
      new Promise<void>((resolve) =>
        server.close(() => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        }),
      ),
  };
}
