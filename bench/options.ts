/**
 * The bench's command line and the two workload plans: the full one (the figures issue 12 asks
 * for) and `--quick` (every workload, small, for checking the bench itself in under 3 minutes).
 */
import path from 'node:path';
import { parseArgs } from 'node:util';

export const PHASES = ['creates', 'reads', 'heartbeat', 'replicas', 'history'] as const;
export type PhaseName = (typeof PHASES)[number];

export interface Plan {
  /** Session creates per series (sequential, then `createConcurrency` in flight). */
  creates: number;
  createConcurrency: number;
  /** Requests per list / get series. */
  reads: number;
  /** Sessions in the listed namespace for each list/get series. */
  listSizes: number[];
  /** CLI sockets of each heartbeat load, and the agent messages per second run with each. */
  sockets: number[];
  messageRates: number[];
  /** The heartbeat load's sessions are spread over this many namespaces (a small team). */
  loadNamespaces: number;
  /** Handshakes in flight per load worker while connecting. */
  connectConcurrency: number;
  /** `rpc-register` calls per socket on connect (the real CLI registers about 20; 0 = heartbeat only). */
  rpcMethods: number;
  /** Seconds between connecting (or changing the rate) and measuring, then the CPU window. */
  warmupSec: number;
  cpuWindowSec: number;
  /** Web message → CLI update probes, and list requests, per load (run together after the CPU window). */
  probes: number;
  probeIntervalMs: number;
  /** Seconds a fresh hub is left alone before its idle figures are taken. */
  idleSettleSec: number;
  replicas: { sockets: number; messagesPerSec: number };
  history: { sessions: number; messagesPerSession: number; batch: number; lanes: number };
}

const FULL: Plan = {
  creates: 300,
  createConcurrency: 16,
  reads: 200,
  listSizes: [300, 2000],
  sockets: [500, 2000],
  messageRates: [0, 20],
  loadNamespaces: 4,
  connectConcurrency: 32,
  rpcMethods: 0,
  warmupSec: 4,
  cpuWindowSec: 20,
  probes: 100,
  probeIntervalMs: 200,
  idleSettleSec: 10,
  replicas: { sockets: 2000, messagesPerSec: 20 },
  history: { sessions: 500, messagesPerSession: 1000, batch: 50, lanes: 8 },
};

const QUICK: Plan = {
  creates: 100,
  createConcurrency: 16,
  reads: 50,
  listSizes: [100, 300],
  sockets: [100, 300],
  messageRates: [0, 20],
  loadNamespaces: 4,
  connectConcurrency: 32,
  rpcMethods: 0,
  warmupSec: 1.5,
  cpuWindowSec: 3,
  probes: 10,
  probeIntervalMs: 150,
  idleSettleSec: 3,
  replicas: { sockets: 300, messagesPerSec: 20 },
  history: { sessions: 50, messagesPerSession: 60, batch: 20, lanes: 8 },
};

export interface BenchOptions {
  quick: boolean;
  plan: Plan;
  hubs: Array<'teamhub' | 'hapi'>;
  phases: PhaseName[];
  /** Where the JSON goes. */
  out: string;
  /** When set: CPU and heap profiles of teamhub's Node processes go here, and a summary of them. */
  profileDir?: string;
  workers: number;
  /** Parent of each hub's data directory (the repo's filesystem by default, like `make run`). */
  dataRoot: string;
}

const USAGE = `usage: npm run bench [-- --quick] [--only teamhub|hapi] [--phases ${PHASES.join(',')}]
                       [--out FILE] [--profile DIR] [--workers N] [--data-dir DIR] [--rpc-methods N]
                       [--history SESSIONSxMESSAGES]`;

export function parseOptions(argv: string[], repoRoot: string, now = new Date()): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      phases: { type: 'string' },
      out: { type: 'string' },
      profile: { type: 'string' },
      workers: { type: 'string', default: '2' },
      'data-dir': { type: 'string' },
      'rpc-methods': { type: 'string' },
      history: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) throw new UsageError(USAGE);
  const only = values.only;
  if (only !== undefined && only !== 'teamhub' && only !== 'hapi') throw new UsageError(`--only must be teamhub or hapi\n${USAGE}`);
  const phases = values.phases === undefined ? [...PHASES] : values.phases.split(',').map((p) => p.trim());
  const unknown = phases.filter((p) => !(PHASES as readonly string[]).includes(p));
  if (unknown.length) throw new UsageError(`unknown phase(s) ${unknown.join(', ')}\n${USAGE}`);
  const workers = Number(values.workers);
  if (!Number.isInteger(workers) || workers < 1 || workers > 8) throw new UsageError(`--workers must be 1..8\n${USAGE}`);
  const plan = structuredClone(values.quick ? QUICK : FULL);
  if (values['rpc-methods'] !== undefined) {
    const n = Number(values['rpc-methods']);
    if (!Number.isInteger(n) || n < 0 || n > 20) throw new UsageError(`--rpc-methods must be 0..20\n${USAGE}`);
    plan.rpcMethods = n;
  }
  if (values.history !== undefined) {
    const m = /^(\d+)x(\d+)$/.exec(values.history);
    if (!m || Number(m[1]) < 1 || Number(m[2]) < 1) throw new UsageError(`--history must be SESSIONSxMESSAGES, e.g. 500x1000\n${USAGE}`);
    plan.history.sessions = Number(m[1]);
    plan.history.messagesPerSession = Number(m[2]);
  }
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  return {
    quick: values.quick,
    plan,
    hubs: only ? [only] : ['teamhub', 'hapi'],
    phases: phases as PhaseName[],
    out: path.resolve(values.out ?? path.join(repoRoot, 'bench', 'results', `${stamp}${values.quick ? '-quick' : ''}.json`)),
    profileDir: values.profile === undefined ? undefined : path.resolve(values.profile),
    workers,
    dataRoot: path.resolve(values['data-dir'] ?? path.join(repoRoot, 'bench', '.data')),
  };
}

export class UsageError extends Error {}
