import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { http, webToken, createCliSession } from '../helpers/hub-harness.js';
import { startRealRunner, stopRealRunners, type RealRunner } from '../helpers/hapi-runner.js';
import { startLocalHub, waitForOutput, type RunningHub } from '../helpers/local-hub.js';
import { freePort, waitFor } from '../helpers/ports.js';
import { openResumingSse, type ResumingSse } from '../helpers/resuming-sse.js';
import { CliConnection } from './cli-connection.js';
import { figuresTable, recoveryByKind, type FaultFigures } from './fault-figures.js';
import { copiesOf, eventKeyOf, eventKeys, readBack } from './read-back.js';
import { SteadyLoad, type WriteKind } from './steady-load.js';

/**
 * The processes `make run` starts with one process per service (TEAMHUB_SERVICE_PROCESSES=split,
 * as the containers run them), as the launcher names them. These faults are per service process;
 * the default one-process topology restarts auth, session and machine together, so what one
 * service's crash must leave alone is only defined with split.
 */
const HUB_ENV = { TEAMHUB_SERVICE_PROCESSES: 'split' };
/** The children a fault is injected into. */
type Child = 'gateway' | 'auth' | 'session' | 'machine' | 'nats';

interface Fault {
  name: string;
  /** Makes the fault; resolves with when the process was back. */
  inject: (at: number) => Promise<number>;
  /** Kinds of write that need no failed process: they must not be refused at all. */
  unaffected?: WriteKind[];
  /** A stall, not a crash: nothing is refused, answers are only late (bounded by the deadline). */
  stall?: boolean;
  /** Events of writes acknowledged while the bus was away are not yet guaranteed (see below). */
  busDown?: boolean;
}

/** A service's answers need at most this long (the RpcClient's 600 ms retry budget, then 503). */
const REFUSAL_BOUND_MS = 1000;
/** Writes succeed again within this long of the process returning. */
const BACK_BOUND_MS = 5000;
/**
 * Sockets are back within this long of the process returning: Socket.IO clients (the hapi CLI
 * and runner among them) wait at most 5 s between reconnect attempts, then take a moment to
 * connect, say they are alive and be seen (the runner is polled every 250 ms).
 */
const RECONNECT_BOUND_MS = 6000;
/** How long a reconnected CLI socket may take to store and ack the messages it buffered while away. */
const SOCKET_CATCH_UP_MS = 3000;
/**
 * A reconnected CLI socket says `session-alive` at once, and its session is active again within
 * this long (a KV claim and one service call), so web messages are no longer refused as inactive.
 */
const ACTIVATION_MS = 1500;
/** A web message goes every 150 ms and is answered in milliseconds: the next success's margin. */
const NEXT_WRITE_MS = 1000;
/** The gateway's service deadline (10 s) plus a second: the longest a stalled service may cost. */
const STALL_BOUND_MS = 11_000;

/**
 * The faults tier: the hub started exactly as `make run` starts it (the supervised launcher,
 * compiled, on a fixed port and data dir), under a steady load from one teammate's clients (web
 * messages, CLI socket messages, session and machine creates) with the real `hapi runner`
 * connected, a CLI socket and an SSE stream open; then, in turn, each process is killed (and the
 * gateway also stopped gracefully), the session service frozen for 5 s, and the whole hub
 * restarted. For each fault it prints and asserts: writes acknowledged, lost (acknowledged but
 * not stored), duplicated, refused with a clear answer, time to the first clear error, to the
 * process's return and to recovery, the runner and the CLI socket back, and the acknowledged
 * writes whose SSE event never arrived.
 */
describe('faults: every process killed in turn under load, with nothing acknowledged lost', function () {
  this.timeout(120_000);
  const figures: FaultFigures[] = [];
  let dataDir = '';
  let port = 0;
  let hub: RunningHub;
  let token = '';
  let jwt = '';
  let sessionId = '';
  let cli: CliConnection;
  let runner: RealRunner | undefined;
  let machineId = '';
  let sse: ResumingSse;
  let load: SteadyLoad;
  const runnerSamples: Array<{ at: number; online: boolean }> = [];
  let monitor: NodeJS.Timeout | undefined;

  const url = () => hub.url;

  async function runnerOnline(): Promise<boolean> {
    const r = await http(url(), 'GET', '/api/machines', { token: jwt, timeoutMs: 3000 }).catch(() => null);
    return (r?.json?.machines as Array<{ id: string; active: boolean }> | undefined)?.some((m) => m.id === machineId && m.active) ?? false;
  }

  before(async function () {
    this.timeout(300_000);
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'teamhub-faults-'));
    port = await freePort();
    hub = await startLocalHub({ dataDir, port, env: HUB_ENV });
    token = `${hub.baseToken}:alice`;
    jwt = await webToken(url(), token);
    sessionId = (await createCliSession(url(), token, 'faults-load')).id as string;
    cli = new CliConnection(url(), token, sessionId);
    await waitFor(() => cli.connected, { timeoutMs: 10_000, what: 'the CLI socket connected' });
    runner = await startRealRunner(url(), token);
    machineId = await waitFor(() => runner!.machineId(), { timeoutMs: 30_000, what: 'the runner registered' });
    await waitFor(runnerOnline, { timeoutMs: 30_000, intervalMs: 250, what: `the runner online; its log:\n${runner.log()}` });
    monitor = setInterval(() => void runnerOnline().then((online) => runnerSamples.push({ at: Date.now(), online })), 250);
    sse = openResumingSse(url, '/api/events?all=true', () => jwt);
    await waitFor(() => sse.connections.length > 0, { timeoutMs: 10_000, what: 'the SSE stream open' });
    load = new SteadyLoad({ url, cliToken: token, jwt: () => jwt, sessionId, cli });
    load.start();
    // A steady phase first: the figures of a hub with no fault, and the baseline for every check.
    await runPhase({ name: 'no fault (baseline)', inject: async (at) => at });
  });

  after(async function () {
    this.timeout(120_000);
    clearInterval(monitor);
    await load?.stop();
    sse?.close();
    cli?.close();
    await stopRealRunners([runner]);
    await hub?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    if (figures.length > 0) {
      process.stdout.write(`\n  faults tier figures (${os.cpus().length} cores, load average ${os.loadavg()[0]!.toFixed(1)}):\n\n${figuresTable(figures)}\n\n`);
    }
  });

  /** Signals one of the launcher's children and resolves when the launcher says it is back. */
  async function signalChild(name: Child, signal: NodeJS.Signals): Promise<number> {
    const child = hub.children().get(name);
    if (!child) throw new Error(`no ${name} process; the launcher's output:\n${hub.output().slice(-3000)}`);
    const mark = hub.output().length;
    process.kill(child.pid, signal);
    await waitForOutput(hub, new RegExp(`teamhub: ${name} is back \\(restart \\d+, pid \\d+`), { from: mark, timeoutMs: 60_000 });
    return Date.now();
  }

  /** Injects one fault under the load, waits for recovery, then measures and checks everything the phase wrote. */
  async function runPhase(fault: Fault): Promise<FaultFigures> {
    load.phase = fault.name;
    const injectedAt = Date.now();
    const backAt = await fault.inject(injectedAt);
    // Recovered: every kind of write sent after the return has succeeded, the runner is listed
    // online and the CLI socket is connected.
    await waitFor(
      () => {
        const after = load.records.filter((r) => r.sentAt >= backAt && r.outcome === 'acked');
        return new Set(after.map((r) => r.kind)).size === 4 && cli.connected && runnerSamples.at(-1)?.online === true;
      },
      { timeoutMs: 30_000, intervalMs: 100, what: `recovery after ${fault.name}` },
    );
    // A little steady load after recovery, so "recovered for good" is seen, then the next phase.
    const steadyUntil = Date.now() + 1500;
    await waitFor(() => Date.now() >= steadyUntil, { timeoutMs: 5000, intervalMs: 100 });
    load.phase = `after ${fault.name}`;
    const mine = load.records.filter((r) => r.phase === fault.name);
    await waitFor(() => mine.every((r) => r.outcome !== undefined), { timeoutMs: 20_000, intervalMs: 100, what: `every write of ${fault.name} answered` });

    const acked = mine.filter((r) => r.outcome === 'acked');
    const stored = await readBack(url(), token, jwt, sessionId, acked);
    // The events of acknowledged writes reach the SSE client (it resumes with Last-Event-ID).
    const missing = () => {
      const seen = eventKeys(sse);
      return acked.filter((w) => !seen.has(eventKeyOf(w)));
    };
    await waitFor(() => missing().length === 0, { timeoutMs: 10_000, intervalMs: 200 }).catch(() => undefined);

    const refused = mine.filter((r) => r.outcome === 'refused');
    const errorTimes = refused.filter((r) => r.answeredAt! >= injectedAt).map((r) => r.answeredAt!);
    const byKind = recoveryByKind(mine, injectedAt);
    const recoveredByKindMs = Object.fromEntries(Object.entries(byKind).map(([k, at]) => [k, at - injectedAt]));
    const offlineSince = runnerSamples.find((s) => s.at >= injectedAt && !s.online);
    const runnerBack = offlineSince ? runnerSamples.find((s) => s.at >= Math.max(backAt, offlineSince.at) && s.online) : undefined;
    const drops = cli.disconnects.filter((d) => d.at >= injectedAt && d.at <= Date.now());
    const cliBack = drops.length > 0 ? cli.connects.find((c) => c >= drops.at(-1)!.at) : undefined;
    const inactive = mine.filter((r) => r.kind === 'web message' && r.outcome === 'refused' && r.answer?.startsWith('409'));
    const f: FaultFigures = {
      fault: fault.name,
      sent: mine.length,
      acknowledged: acked.length,
      refused: refused.length,
      unclear: mine.filter((r) => r.outcome === 'other').map((r) => `${r.kind}: ${r.answer}`),
      unanswered: mine.filter((r) => r.outcome === 'no-answer').length,
      lost: acked.filter((w) => copiesOf(w, stored) === 0).length,
      duplicated: mine.filter((w) => copiesOf(w, stored) > 1).length,
      firstErrorMs: errorTimes.length > 0 ? Math.min(...errorTimes) - injectedAt : null,
      slowestRefusalMs: refused.length > 0 ? Math.max(...refused.map((r) => r.answeredAt! - r.sentAt)) : null,
      slowestAckMs: Math.max(0, ...acked.map((r) => r.answeredAt! - r.sentAt)),
      backMs: backAt - injectedAt,
      recoveredMs: Math.max(0, ...Object.values(recoveredByKindMs)),
      recoveredByKindMs,
      runnerBackMs: offlineSince ? (runnerBack ? Math.max(0, runnerBack.at - backAt) : Number.POSITIVE_INFINITY) : null,
      cliBackMs: drops.length > 0 ? (cliBack ? Math.max(0, cliBack - backAt) : Number.POSITIVE_INFINITY) : null,
      inactiveRefusals: inactive.length,
      inactiveAfterCliBack: inactive.filter((r) => r.sentAt > (cliBack ?? injectedAt) + ACTIVATION_MS).map((r) => `sent ${r.sentAt - injectedAt} ms after the fault: ${r.answer}`),
      cliDisconnects: drops.map((d) => d.reason),
      sseResumes: sse.connections.filter((c) => c.at >= injectedAt).map((c) => c.resume ?? 'fresh'),
      eventsMissing: missing().length,
    };
    figures.push(f);
    process.stdout.write(`      ${JSON.stringify({ ...f, unclear: f.unclear.slice(0, 5) })}\n`);

    // What must hold after every fault.
    expect(f.unclear, `${fault.name}: answers that were neither a success nor a clear refusal`).to.deep.equal([]);
    expect(f.unanswered, `${fault.name}: writes left without an answer`).to.equal(0);
    expect(f.lost, `${fault.name}: acknowledged writes lost`).to.equal(0);
    expect(f.duplicated, `${fault.name}: writes stored twice`).to.equal(0);
    expect(f.acknowledged, `${fault.name}: the load kept writing`).to.be.greaterThan(10);
    if (fault.stall) {
      expect(f.refused, `${fault.name}: a 5 s stall is waited out, not refused`).to.equal(0);
      expect(f.slowestAckMs, `${fault.name}: the longest wait`).to.be.at.most(STALL_BOUND_MS);
    } else if (f.slowestRefusalMs !== null) {
      expect(f.slowestRefusalMs, `${fault.name}: the slowest refusal (a clear 503 within 1 s)`).to.be.at.most(REFUSAL_BOUND_MS);
    }
    for (const kind of fault.unaffected ?? []) {
      const hit = mine.filter((r) => r.kind === kind && r.outcome !== 'acked');
      expect(hit.map((r) => r.answer), `${fault.name}: ${kind}s need no failed process`).to.deep.equal([]);
    }
    // HTTP writes succeed again within the bound of the process returning; the CLI's socket
    // writes once the socket is back (its own reconnect backoff, bounded below) and has stored
    // what it buffered meanwhile.
    // A web message needs a live CLI as well: while the session is inactive (its CLI's socket not
    // back yet) it is refused with HAPI's 409, so then it is bounded by the CLI's return too.
    const cliLiveMs = f.backMs + (f.cliBackMs ?? 0) + ACTIVATION_MS;
    for (const [kind, at] of Object.entries(f.recoveredByKindMs)) {
      const bound =
        kind === 'CLI message'
          ? f.backMs + (f.cliBackMs ?? 0) + SOCKET_CATCH_UP_MS
          : kind === 'web message' && f.inactiveRefusals > 0
            ? Math.max(f.backMs + BACK_BOUND_MS, cliLiveMs + NEXT_WRITE_MS)
            : f.backMs + BACK_BOUND_MS;
      const refusals = mine.filter((r) => r.kind === kind && r.outcome !== 'acked' && r.sentAt >= backAt).map((r) => `${r.sentAt - injectedAt} ms: ${r.answer}`);
      expect(at, `${fault.name}: ${kind}s succeed again within ${bound} ms of the fault; refused after the return: ${refusals.slice(0, 8).join('; ')}`).to.be.at.most(bound);
    }
    expect(f.inactiveAfterCliBack, `${fault.name}: web messages refused as inactive once the CLI's socket was back`).to.deep.equal([]);
    if (f.runnerBackMs !== null) expect(f.runnerBackMs, `${fault.name}: the real runner online again`).to.be.at.most(RECONNECT_BOUND_MS);
    if (f.cliBackMs !== null) expect(f.cliBackMs, `${fault.name}: the CLI socket back`).to.be.at.most(RECONNECT_BOUND_MS);
    expect(f.cliDisconnects, `${fault.name}: a CLI socket is never sent away (it would not reconnect)`).to.not.include('io server disconnect');
    expect(f.sseResumes, `${fault.name}: the SSE stream resumed where it left off`).to.not.include('gap');
    // While nats-server is away an acknowledged write's event can still be lost, until the
    // transactional outbox (the events work) publishes it once the bus is back; then this holds
    // for that fault too.
    if (!fault.busDown) expect(f.eventsMissing, `${fault.name}: acknowledged writes whose event never reached SSE`).to.equal(0);
    return f;
  }

  const faults: Fault[] = [
    { name: 'SIGKILL gateway', inject: () => signalChild('gateway', 'SIGKILL') },
    { name: 'SIGTERM gateway (graceful restart)', inject: () => signalChild('gateway', 'SIGTERM') },
    { name: 'SIGKILL auth', inject: () => signalChild('auth', 'SIGKILL'), unaffected: ['web message', 'CLI message'] },
    { name: 'SIGKILL session', inject: () => signalChild('session', 'SIGKILL'), unaffected: ['machine create'] },
    { name: 'SIGKILL machine', inject: () => signalChild('machine', 'SIGKILL'), unaffected: ['web message', 'CLI message', 'session create'] },
    { name: 'SIGKILL nats-server', inject: () => signalChild('nats', 'SIGKILL'), busDown: true },
    {
      name: 'SIGSTOP session for 5 s',
      stall: true,
      inject: async (at) => {
        const pid = hub.children().get('session')!.pid;
        process.kill(pid, 'SIGSTOP');
        // The fault is the 5 s freeze itself.
        await waitFor(() => Date.now() >= at + 5000, { timeoutMs: 10_000, intervalMs: 50 });
        process.kill(pid, 'SIGCONT');
        return Date.now();
      },
    },
    {
      name: 'restart of the whole hub',
      inject: async () => {
        expect(await hub.stop('SIGTERM'), 'the launcher exits 0 on SIGTERM').to.equal(0);
        hub = await startLocalHub({ dataDir, port, env: HUB_ENV });
        return Date.now();
      },
    },
  ];

  for (const fault of faults) {
    it(`when ${fault.name} under load, then nothing acknowledged is lost or doubled and clients are back by themselves`, async () => {
      await runPhase(fault);
    });
  }
});
