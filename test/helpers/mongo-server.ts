import { createRequire } from 'node:module';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { freePort } from './ports.js';
import { startProcess, type Started } from './processes.js';

export interface MongoServer extends Started {
  url: string;
  /** The loopback port (0 for an external server): a server started again on it is the same address. */
  port: number;
  /** A fresh database name per call: the wire test server cannot drop databases. */
  freshDbName: () => string;
}

const require = createRequire(import.meta.url);

function jongodbBinary(): string {
  const pkg = require.resolve('@jongodb/memory-server-bin-linux-x64-gnu/package.json');
  return path.join(path.dirname(pkg), 'bin', 'jongodb');
}

export function freshDbName(): string {
  return `t_${randomBytes(6).toString('hex')}`;
}

/**
 * A MongoDB-protocol server for tests. With TEAMHUB_TEST_MONGO_URL set, that real MongoDB is
 * used instead (fresh database names, nothing dropped); otherwise the jongodb wire server is
 * started on a free loopback port.
 */
export async function startMongo(opts: { port?: number } = {}): Promise<MongoServer> {
  const external = process.env.TEAMHUB_TEST_MONGO_URL;
  if (external) {
    return { proc: null as never, output: () => '', stop: async () => {}, url: external, port: 0, freshDbName };
  }
  const port = opts.port ?? (await freePort());
  const started = await startProcess(jongodbBinary(), ['--host=127.0.0.1', `--port=${port}`], {
    ready: /JONGODB_URI=/,
    name: 'jongodb',
  });
  return { ...started, url: `mongodb://127.0.0.1:${port}/?directConnection=true`, port, freshDbName };
}
