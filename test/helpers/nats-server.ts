import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './ports.js';
import { startProcess, type Started } from './processes.js';

export interface NatsServer extends Started {
  url: string;
  port: number;
  /** JetStream's store: a server started again with the same port and store keeps its streams. */
  storeDir: string;
}

/**
 * Starts a real nats-server with JetStream on a free loopback port (or `port`, with `storeDir`,
 * to start one again after stopping it).
 */
export async function startNats(opts: { port?: number; storeDir?: string } = {}): Promise<NatsServer> {
  const port = opts.port ?? (await freePort());
  const storeDir = opts.storeDir ?? mkdtempSync(path.join(os.tmpdir(), 'teamhub-nats-'));
  const started = await startProcess('nats-server', ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir], {
    ready: /Server is ready/,
    name: 'nats-server',
  });
  return { ...started, url: `nats://127.0.0.1:${port}`, port, storeDir };
}
