/**
 * The HTTP workload both hubs get: the same requests, in the same order, against the HAPI API
 * (so it measures teamhub and the reference HAPI hub alike). Loopback only, bounded in count.
 */
export interface LatencyStats {
  n: number;
  perSec: number;
  p50ms: number;
  p99ms: number;
  maxms: number;
}

export interface WorkloadResult {
  createSequential: LatencyStats;
  createConcurrent: LatencyStats;
  listSessions: LatencyStats & { sessionsReturned: number };
  getSession: LatencyStats;
}

function stats(lat: number[], totalMs: number): LatencyStats {
  const s = [...lat].sort((a, b) => a - b);
  const pct = (p: number) => +s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!.toFixed(2);
  return { n: s.length, perSec: +((s.length / totalMs) * 1000).toFixed(1), p50ms: pct(50), p99ms: pct(99), maxms: +s[s.length - 1]!.toFixed(2) };
}

async function timed(fn: () => Promise<void>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

async function expectOk(res: Response, what: string): Promise<string> {
  const body = await res.text();
  if (!res.ok) throw new Error(`${what}: ${res.status} ${body.slice(0, 200)}`);
  return body;
}

export async function runWorkload(url: string, baseToken: string, opts: { n: number; concurrency: number; reads: number }): Promise<WorkloadResult> {
  const run = Date.now().toString(36);
  const token = (ns: string) => `${baseToken}:${ns}`;
  const create = (ns: string, i: number) =>
    fetch(`${url}/cli/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token(ns)}` },
      body: JSON.stringify({ tag: `bench-${run}-${ns}-${i}`, metadata: { path: `/bench/${i}`, host: 'bench-host' } }),
    }).then((r) => expectOk(r, 'create session'));

  const seqNs = `bench-seq-${run}`;
  let lat: number[] = [];
  let t0 = performance.now();
  let lastId = '';
  for (let i = 0; i < opts.n; i++) {
    lat.push(await timed(async () => {
      lastId = (JSON.parse(await create(seqNs, i)) as { session: { id: string } }).session.id;
    }));
  }
  const createSequential = stats(lat, performance.now() - t0);

  const concNs = `bench-conc-${run}`;
  lat = [];
  let next = 0;
  t0 = performance.now();
  await Promise.all(
    Array.from({ length: opts.concurrency }, async () => {
      for (let i = next++; i < opts.n; i = next++) lat.push(await timed(async () => void (await create(concNs, i))));
    }),
  );
  const createConcurrent = stats(lat, performance.now() - t0);

  const auth = await fetch(`${url}/api/auth`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ accessToken: token(seqNs) }) });
  const jwt = (JSON.parse(await expectOk(auth, 'web login')) as { token: string }).token;
  lat = [];
  let sessionsReturned = 0;
  t0 = performance.now();
  for (let i = 0; i < opts.reads; i++) {
    lat.push(await timed(async () => {
      const body = await expectOk(await fetch(`${url}/api/sessions`, { headers: { authorization: `Bearer ${jwt}` } }), 'list sessions');
      sessionsReturned = (JSON.parse(body) as { sessions: unknown[] }).sessions.length;
    }));
  }
  const listSessions = { ...stats(lat, performance.now() - t0), sessionsReturned };

  lat = [];
  t0 = performance.now();
  for (let i = 0; i < opts.reads; i++) {
    lat.push(await timed(async () => void (await expectOk(await fetch(`${url}/cli/sessions/${lastId}`, { headers: { authorization: `Bearer ${token(seqNs)}` } }), 'get session'))));
  }
  const getSession = stats(lat, performance.now() - t0);
  return { createSequential, createConcurrent, listSessions, getSession };
}
