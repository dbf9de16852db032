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
});
