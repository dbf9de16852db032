/**
 * teamhub exactly as `make run` starts it: `node scripts/build.mjs` (compile into dist/ when a
 * source changed), then `node dist/scripts/run-local.js` (the launcher, which calls
 * `startLocalHub` and supervises nats-server and the hub's Node processes). The launcher itself
 * is one of the hub's processes, as it is for a user.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { HUB_PROCESSES } from '../../scripts/hub-processes.js';
import { freeLoopbackPort } from '../../scripts/local-hub.js';
import { sampleTrees } from '../proc/proc-stats.js';
import { OutputTail, stopProcess, type ExtraGateway, type TeamhubBenchHub } from './bench-hub.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface TeamhubStart {
  dataDir: string;
  baseToken: string;
  /** Extra environment for every process of the hub (e.g. NODE_OPTIONS for profiling). */
  env?: Record<string, string>;
  timeoutMs?: number;
}

/**
 * The gateway's wiring to the services and NATS, which a second replica needs too: addresses,
 * and the gateway's NATS user with the path of its password file (the launcher writes fresh
 * passwords at every start; no secret is in the environment).
 */
const GATEWAY_WIRING = [
  'TEAMHUB_NATS_URL',
  'TEAMHUB_NATS_USER',
  'TEAMHUB_NATS_PASSWORD_FILE',
  'TEAMHUB_AUTH_ADDR',
  'TEAMHUB_SESSION_ADDR',
  'TEAMHUB_MACHINE_ADDR',
  'TEAMHUB_NOTIFY_ADDR',
  'TEAMHUB_DATA_DIR',
  'TEAMHUB_STORE',
  'TEAMHUB_INTERNAL_SECRET_FILE',
];

/**
 * The socket limits raised above the bench's largest load on one credential (500 sockets of the
 * history case, 500 per namespace of the 2,000-socket load): HAPI has no such limit, and the bench
 * compares what the same load costs, not where teamhub refuses it.
 */
const BENCH_LIMITS = { TEAMHUB_MAX_SOCKETS_PER_CREDENTIAL: '4096', TEAMHUB_MAX_SOCKETS_PER_NAMESPACE: '4096' };

function readWiring(pid: number): Record<string, string> {
  const env = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
  const out: Record<string, string> = {};
  for (const kv of env) {
    const eq = kv.indexOf('=');
    const key = kv.slice(0, eq);
    if (GATEWAY_WIRING.includes(key)) out[key] = kv.slice(eq + 1);
  }
  return out;
}

/** Spawns `cmd` and resolves with the first match of `ready` in its output. */
function spawnUntil(args: string[], env: NodeJS.ProcessEnv, ready: RegExp, what: string, timeoutMs: number) {
  const proc = spawn(process.execPath, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const tail = new OutputTail();
  const matched = new Promise<RegExpExecArray>((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`${what} not ready within ${timeoutMs} ms:\n${tail.text()}`)), timeoutMs);
    const onData = (b: Buffer) => {
      tail.push(b);
      seen = (seen + b.toString()).slice(-4096);
      const m = ready.exec(seen);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (${code}) before it was ready:\n${tail.text()}`));
    });
  });
  return { proc, tail, matched };
}

export async function startTeamhub(opts: TeamhubStart): Promise<TeamhubBenchHub> {
  const port = await freeLoopbackPort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...BENCH_LIMITS,
    ...opts.env,
    TEAMHUB_DATA_DIR: opts.dataDir,
    HAPI_LISTEN_HOST: '127.0.0.1',
    HAPI_LISTEN_PORT: String(port),
    CLI_API_TOKEN: opts.baseToken,
  };
  const timeoutMs = opts.timeoutMs ?? 180_000;
  // Compiled before the clock starts, as `make run` compiles before it starts the launcher.
  const build = spawnSync(process.execPath, [path.join(REPO_ROOT, 'scripts/build.mjs'), '--quiet'], { cwd: REPO_ROOT, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`the hub did not compile (node scripts/build.mjs):\n${build.stdout}${build.stderr}`);
  const launcher = spawnUntil([path.join(REPO_ROOT, 'dist/scripts/run-local.js')], env, /^TEAMHUB_HUB_READY url=(\S+)$/m, 'teamhub launcher', timeoutMs);
  const url = (await launcher.matched.catch(async (err: unknown) => {
    await stopProcess(launcher.proc, 15_000);
    throw err;
  }))[1]!;
  const launcherPid = launcher.proc.pid!;
  const extra = new Set<ExtraGateway>();

  const gatewayPid = () => sampleTrees([launcherPid]).find((p) => p.name === 'gateway')?.pid;

  return {
    kind: 'teamhub',
    label: `teamhub (make run: ${env.TEAMHUB_SERVICE_PROCESSES === 'split' ? 'launcher, auth, session, machine, gateway' : 'launcher, services (auth + session + machine), gateway'}, nats-server; SQLite)`,
    url,
    baseToken: opts.baseToken,
    roots: () => [launcherPid, ...[...extra].map((g) => g.pid)],
    startSecondGateway: async () => {
      const pid = gatewayPid();
      if (!pid) throw new Error('the launcher runs no gateway');
      const gwPort = await freeLoopbackPort();
      const gwEnv: NodeJS.ProcessEnv = {
        ...env,
        ...readWiring(pid),
        HAPI_LISTEN_PORT: String(gwPort),
        HAPI_PUBLIC_URL: `http://127.0.0.1:${gwPort}`,
      };
      // With the Node flags the launcher gives its own gateway, so the two replicas are alike.
      const flags = HUB_PROCESSES.find((p) => p.name === 'gateway')?.nodeFlags ?? [];
      const gw = spawnUntil([...flags, path.join(REPO_ROOT, 'dist/gateway/main.js')], gwEnv, /TEAMHUB_READY gateway port=(\d+)/, 'second gateway', 60_000);
      const gwReady = await gw.matched.catch(async (err: unknown) => {
        await stopProcess(gw.proc, 10_000);
        throw err;
      });
      const handle: ExtraGateway = {
        url: `http://127.0.0.1:${gwReady[1]!}`,
        pid: gw.proc.pid!,
        stop: async () => {
          await stopProcess(gw.proc, 15_000);
          extra.delete(handle);
        },
      };
      extra.add(handle);
      return handle;
    },
    stop: async () => {
      for (const g of [...extra]) await g.stop();
      // The launcher stops its children in reverse order (10 s grace each) before it exits.
      await stopProcess(launcher.proc, 60_000);
    },
  };
}
