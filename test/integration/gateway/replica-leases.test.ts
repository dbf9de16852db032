import { expect } from 'chai';
import { connectNats, type NatsConnection } from '../../../lib/nats/connection.js';
import { createRootLogger } from '../../../lib/logger.js';
import type { Namespace } from '../../../lib/namespace.js';
import { ReplicaLeases, type LiveRecord } from '../../../gateway/live/replica-leases.js';
import { startNats, type NatsServer } from '../../helpers/nats-server.js';
import { waitFor } from '../../helpers/ports.js';

/**
 * The liveness sweeper on a real nats-server: it reads the live records only when a replica's
 * lease disappears (or when it takes over sweeping), and a dead replica's entities still go
 * inactive, whether the replica stopped cleanly or its lease simply expired.
 */
describe('gateway replica leases: the sweeper reads live records only when a lease disappears (real nats-server)', function () {
  this.timeout(30_000);
  const LEASE_MS = 600;
  const log = createRootLogger('test', 'silent');
  const alice = 'base:alice' as Namespace;
  let server: NatsServer;
  const conns: NatsConnection[] = [];
  const leases: ReplicaLeases[] = [];

  const connection = async (name: string) => {
    const nc = await connectNats({ natsServers: [server.url], natsUser: undefined, natsPassword: undefined }, name, log);
    conns.push(nc);
    return nc;
  };
  const start = async (id: string, dead: LiveRecord[], nc?: NatsConnection, leaseMs = LEASE_MS) => {
    const l = await ReplicaLeases.start(nc ?? (await connection(id)), id, leaseMs, async (rec) => void dead.push(rec), log);
    leases.push(l);
    return l;
  };

  beforeEach(async () => {
    server = await startNats();
  });
  afterEach(async () => {
    for (const l of leases.splice(0)) await l.close().catch(() => undefined);
    for (const nc of conns.splice(0)) await nc.close().catch(() => undefined);
    await server.stop();
  });

  it('when every replica stays alive, then the sweeper reads the live records once (on taking over) and never again', async () => {
    // A longer lease here, so a busy machine stalling a renewal cannot really expire one.
    const leaseMs = 1_500;
    const dead: LiveRecord[] = [];
    const a = await start('replica-a', dead, undefined, leaseMs);
    const b = await start('replica-b', dead, undefined, leaseMs);
    await a.claim('session', alice, 's-a');
    await b.claim('session', alice, 's-b');
    await waitFor(() => a.stats.sweeps + b.stats.sweeps >= 1, { timeoutMs: 5_000, what: 'the first sweep' });
    // Ten lease renewals of each replica later (a fixed span is the point: nothing happens in it),
    // nothing more was read and nothing was swept.
    await new Promise((r) => setTimeout(r, (leaseMs / 3) * 10));
    expect(a.stats.sweeps + b.stats.sweeps).to.equal(1);
    expect(dead).to.deep.equal([]);
    expect(await a.isLive('session', alice, 's-b')).to.equal(true);
  });

  it('when a replica stops cleanly (its lease deleted), then the sweeper marks its entities dead, not the live replica\'s', async () => {
    const dead: LiveRecord[] = [];
    const a = await start('replica-a', dead);
    await waitFor(() => a.stats.sweeps >= 1, { timeoutMs: 5_000, what: 'a sweeping' });
    const b = await start('replica-b', dead);
    await a.claim('session', alice, 's-a');
    await b.claim('session', alice, 's-b');
    await b.claim('machine', alice, 'm-b');
    await b.close();
    await waitFor(() => dead.length >= 2, { timeoutMs: 5_000, what: "b's entities swept" });
    expect(dead.map((r) => `${r.owner} ${r.kind} ${r.id}`).sort()).to.deep.equal(['replica-b machine m-b', 'replica-b session s-b']);
    expect(await a.isLive('session', alice, 's-a')).to.equal(true);
    expect(await a.isLive('session', alice, 's-b')).to.equal(false);
  });

  it('when a replica dies without a word (its lease expires), then its entities are marked dead within about a lease', async () => {
    const dead: LiveRecord[] = [];
    const a = await start('replica-a', dead);
    await waitFor(() => a.stats.sweeps >= 1, { timeoutMs: 5_000, what: 'a sweeping' });
    const ncB = await connection('replica-b');
    const b = await start('replica-b', dead, ncB);
    await b.claim('session', alice, 's-b');
    const sweepsBefore = a.stats.sweeps;
    // Its connection goes away: no more renewals and no deletion of its lease.
    await ncB.close();
    const diedAt = Date.now();
    await waitFor(() => dead.length >= 1, { timeoutMs: 10_000, what: "b's session swept after its lease expired" });
    expect(Date.now() - diedAt).to.be.below(LEASE_MS * 6);
    expect(dead.map((r) => `${r.owner} ${r.id}`)).to.deep.equal(['replica-b s-b']);
    expect(a.stats.sweeps).to.be.above(sweepsBefore);
  });

  it('when the sweeping replica stops, then the next one takes over and sweeps what the first left behind', async () => {
    const dead: LiveRecord[] = [];
    const a = await start('replica-a', dead);
    await waitFor(() => a.stats.sweeps >= 1, { timeoutMs: 5_000, what: 'a sweeping' });
    const b = await start('replica-b', dead);
    await a.claim('session', alice, 's-a');
    await a.close();
    await waitFor(() => b.stats.sweeps >= 1, { timeoutMs: 10_000, what: 'b taking over the sweeper lease' });
    await waitFor(() => dead.length >= 1, { timeoutMs: 5_000, what: "a's session swept" });
    expect(dead.map((r) => `${r.owner} ${r.id}`)).to.deep.equal(['replica-a s-a']);
  });

  it('when a CLI reclaims its session while the sweeper is marking it dead, then the session ends up active, never inactive under a live owner', async () => {
    // A stand-in for the session service: what the store says about the session.
    const store = { active: true, log: [] as string[] };
    const a = await start('replica-a', []);
    await a.claim('session', alice, 's-1');
    let claimDone = false;
    let reclaim: Promise<void> | undefined;
    // The restarted gateway b sweeps what a left. Its mark of a's session is slow (a busy session
    // service); meanwhile the CLI's socket reconnects to b, which claims the session and marks
    // it active (as the socket's activation does: claim, then the store).
    let b: ReplicaLeases | undefined;
    b = await ReplicaLeases.start(
      await connection('replica-b'),
      'replica-b',
      LEASE_MS,
      async (rec) => {
        reclaim = b!.claim('session', alice, rec.id).then(() => {
          claimDone = true;
          store.active = true;
          store.log.push('b: active');
        });
        // Round trips of our own to the same nats-server: the claim (a read and a write) would
        // be done long before these if nothing held it back.
        for (let i = 0; i < 6; i++) await b!.isLive('session', alice, 'other');
        store.log.push(`sweeper: inactive (the claim ${claimDone ? 'already done' : 'still waiting'})`);
        store.active = false;
      },
      log,
    );
    leases.push(b);
    await a.close();
    await waitFor(() => reclaim !== undefined, { timeoutMs: 10_000, what: "the sweep of a's session" });
    await reclaim;
    expect(store.log).to.deep.equal(['sweeper: inactive (the claim still waiting)', 'b: active']);
    expect(store.active, 'the session its CLI is connected to').to.equal(true);
    const other = await start('replica-c', []);
    expect(await other.isLive('session', alice, 's-1'), "b's claim survives the end of the sweep").to.equal(true);
  });

  it('when the sweeper cannot mark a dead owner\'s entity (its service down), then it hands the entity back: a claim goes through and is not swept after', async () => {
    const a = await start('replica-a', []);
    await a.claim('session', alice, 's-1');
    const calls: string[] = [];
    const b = await ReplicaLeases.start(
      await connection('replica-b'),
      'replica-b',
      LEASE_MS,
      async (rec) => {
        calls.push(rec.owner);
        throw new Error('session service unavailable');
      },
      log,
    );
    leases.push(b);
    await a.close();
    await waitFor(() => calls.length >= 1, { timeoutMs: 10_000, what: "the sweep of a's session" });
    const sweeps = b.stats.sweeps;
    // Handed back at once: the CLI's claim on b does not wait out the sweeper's hold.
    const claimStarted = Date.now();
    await b.claim('session', alice, 's-1');
    expect(Date.now() - claimStarted, 'the claim waited for a hold that failed').to.be.below(LEASE_MS);
    // The failed sweep is tried again on the next tick, and then the session has a live owner.
    await waitFor(() => b.stats.sweeps > sweeps, { timeoutMs: 10_000, what: 'the sweep tried again' });
    expect(calls, 'the sweeper marked a session its live owner holds').to.have.length(1);
    expect(await b.isLive('session', alice, 's-1')).to.equal(true);
  });
});
