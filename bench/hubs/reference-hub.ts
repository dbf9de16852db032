/**
 * The real HAPI hub 0.30.7 (npm @twsxtd/hapi, a devDependency; a single linux-x64 binary) on a
 * loopback port, for side-by-side runs.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { freeLoopbackPort } from '../../scripts/local-hub.js';
import { sleep } from '../stats.js';
import { OutputTail, stopProcess, type BenchHub } from './bench-hub.js';

const require = createRequire(import.meta.url);

function hapiBinary(): string {
  return path.join(path.dirname(require.resolve('@twsxtd/hapi-linux-x64/package.json')), 'bin', 'hapi');
}

export async function startReferenceHub(opts: { home: string; baseToken: string; timeoutMs?: number }): Promise<BenchHub> {
  const port = await freeLoopbackPort();
  const proc = spawn(hapiBinary(), ['hub'], {
    env: { ...process.env, HAPI_HOME: opts.home, CLI_API_TOKEN: opts.baseToken, HAPI_LISTEN_HOST: '127.0.0.1', HAPI_LISTEN_PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Its output is read (like a terminal would) and kept only to explain a failure.
  const tail = new OutputTail();
  proc.stdout!.on('data', (b: Buffer) => tail.push(b));
  proc.stderr!.on('data', (b: Buffer) => tail.push(b));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`reference hub exited with ${proc.exitCode}:\n${tail.text()}`);
    const ok = await fetch(`${url}/health`).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) {
      await stopProcess(proc, 5000);
      throw new Error(`reference hub not healthy after ${opts.timeoutMs ?? 60_000} ms:\n${tail.text()}`);
    }
    await sleep(200);
  }
  return {
    kind: 'hapi',
    label: 'HAPI 0.30.7 (one process, SQLite)',
    url,
    baseToken: opts.baseToken,
    roots: () => [proc.pid!],
    stop: () => stopProcess(proc, 15_000),
  };
}
