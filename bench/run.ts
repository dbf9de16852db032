/**
 * Side-by-side benchmark: teamhub (started exactly as `make run` starts it) and the reference
 * HAPI hub 0.30.7, same machine, same workload, one after the other so they never share the CPU.
 * Usage: npm run bench [-- --n 300 --concurrency 16 --reads 200 --only teamhub|hapi]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startLocalHub, freeLoopbackPort } from '../scripts/local-hub.js';
import { runWorkload, type WorkloadResult } from './workload.js';
import { startReferenceHub } from './reference-hub.js';
import { descendantsRssMiB } from './processes.js';

const args = process.argv.slice(2);
const opt = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
const workload = { n: opt('n', 300), concurrency: opt('concurrency', 16), reads: opt('reads', 200) };
const TOKEN = 'bench-base-token-0123456789abcdef';

interface Row {
  hub: string;
  result: WorkloadResult;
  rssIdleMiB: number;
  rssAfterMiB: number;
}

async function benchTeamhub(): Promise<Row> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'teamhub-bench-'));
  const hub = await startLocalHub({
    dataDir,
    host: '127.0.0.1',
    port: await freeLoopbackPort(),
    env: { ...process.env, CLI_API_TOKEN: TOKEN, TEAMHUB_LOG_LEVEL: 'warn', TEAMHUB_AUTH_FAIL_LIMIT: '100000' },
    print: () => {},
  });
  try {
    const rssIdleMiB = descendantsRssMiB();
    const result = await runWorkload(hub.url, TOKEN, workload);
    return { hub: 'teamhub (4 processes + nats, SQLite)', result, rssIdleMiB, rssAfterMiB: descendantsRssMiB() };
  } finally {
    await hub.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function benchReference(): Promise<Row> {
  const home = mkdtempSync(path.join(os.tmpdir(), 'hapi-bench-'));
  const hub = await startReferenceHub({ home, port: await freeLoopbackPort(), token: TOKEN });
  try {
    const rssIdleMiB = descendantsRssMiB();
    const result = await runWorkload(hub.url, TOKEN, workload);
    return { hub: 'HAPI 0.30.7 (reference)', result, rssIdleMiB, rssAfterMiB: descendantsRssMiB() };
  } finally {
    await hub.stop();
    rmSync(home, { recursive: true, force: true });
  }
}

function printTable(rows: Row[]): void {
  const line = (cells: (string | number)[]) => console.log(cells.map((c, i) => String(c).padEnd(i === 0 ? 38 : 14)).join(''));
  console.log(`\nworkload: ${workload.n} session creates sequential, ${workload.n} with ${workload.concurrency} in flight, ${workload.reads} list + ${workload.reads} get\n`);
  line(['hub', 'create seq/s', 'create conc/s', 'create p99 ms', 'list p50 ms', 'list p99 ms', 'get p50 ms', 'RSS idle MiB', 'RSS after MiB']);
  for (const r of rows) {
    line([r.hub, r.result.createSequential.perSec, r.result.createConcurrent.perSec, r.result.createConcurrent.p99ms, r.result.listSessions.p50ms, r.result.listSessions.p99ms, r.result.getSession.p50ms, r.rssIdleMiB, r.rssAfterMiB]);
  }
  console.log(`\n${JSON.stringify(rows, null, 2)}`);
}

const rows: Row[] = [];
if (only !== 'hapi') rows.push(await benchTeamhub());
if (only !== 'teamhub') rows.push(await benchReference());
printTable(rows);
