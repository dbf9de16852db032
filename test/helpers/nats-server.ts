import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './ports.js';
import { startProcess, type Started } from './processes.js';

export interface NatsServer extends Started {
  url: string;
  port: number;
}

/** Starts a real nats-server with JetStream on a free loopback port. */
export async function startNats(): Promise<NatsServer> {
  const port = await freePort();
  const storeDir = mkdtempSync(path.join(os.tmpdir(), 'teamhub-nats-'));
  const started = await startProcess('nats-server', ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir], {
    ready: /Server is ready/,
    name: 'nats-server',
  });
  return { ...started, url: `nats://127.0.0.1:${port}`, port };
}
