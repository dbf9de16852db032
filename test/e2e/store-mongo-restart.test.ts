import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { startHub, http, waitFor, SESSION_METADATA, type Hub } from '../helpers/hub-harness.js';

interface Attempt {
  status: number;
  ms: number;
  phase: 'before' | 'down' | 'after';
}

/**
 * The services on MongoDB (the jongodb wire server here) lose their database under a steady
 * create load: it is SIGKILLed and started again on the same address. While it is away,
 * requests fail fast with a clear 503; once it is back, the services' drivers reconnect by
 * themselves and writes succeed again, without restarting anything. (jongodb keeps nothing on
 * disk, so what was stored before is gone with it; a real MongoDB would keep it.)
 */
describe('e2e store: the MongoDB server restarts under load and the services reconnect', function () {
  this.timeout(120_000);
  let hub: Hub;
  let alice = '';

  before(async () => {
    hub = await startHub({ store: 'mongo' });
    alice = `${hub.baseToken}:alice`;
  });
  after(async () => hub?.stop());

  it('when the database is killed and comes back, then requests get 503 quickly meanwhile and succeed again after', async () => {
    const attempts: Attempt[] = [];
    let phase: Attempt['phase'] = 'before';
    let stop = false;
    const load = (async () => {
      while (!stop) {
        const started = Date.now();
        const during = phase;
        const status = await http(hub.url, 'POST', '/cli/sessions', { token: alice, body: { tag: randomUUID(), metadata: SESSION_METADATA }, timeoutMs: 15_000 }).then(
          (r) => r.status,
          () => 0,
        );
        attempts.push({ status, ms: Date.now() - started, phase: during });
        if (status !== 200) await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const ok = (p: Attempt['phase']) => attempts.filter((a) => a.phase === p && a.status === 200).length;
    await waitFor(() => ok('before') >= 20, { timeoutMs: 20_000, what: '20 creates before the restart' });

    await hub.stopMongo('SIGKILL');
    phase = 'down';
    const downAt = Date.now();
    await waitFor(() => attempts.some((a) => a.phase === 'down' && a.status !== 200) && Date.now() - downAt > 4000, { timeoutMs: 30_000, what: 'refusals while the database is away' });
    await hub.startMongo();
    const backAt = Date.now();
    phase = 'after';
    await waitFor(() => ok('after') >= 20, { timeoutMs: 40_000, what: '20 creates after the restart' });
    const recoveredMs = attempts.findIndex((a) => a.phase === 'after' && a.status === 200);
    stop = true;
    await load;

    const down = attempts.filter((a) => a.phase === 'down');
    const firstOkAfter = attempts.filter((a) => a.phase === 'after');
    console.log(
      `      mongo restart: ${ok('before')} creates before, ${down.length} attempts while away (statuses ${[...new Set(down.map((a) => a.status))].join('/')}, slowest ${Math.max(...down.map((a) => a.ms))} ms), ` +
        `first success ${firstOkAfter.findIndex((a) => a.status === 200) + 1} attempts after it was back (${Date.now() - backAt} ms to 20 more)`,
    );
    expect(recoveredMs).to.be.greaterThan(-1);
    for (const a of down) {
      // A create that reached the database before it died may still answer 200.
      expect([200, 503], `status while the database was away (${a.ms} ms)`).to.include(a.status);
      expect(a.ms, 'a request while the database is away').to.be.lessThan(6000);
    }
    // No service was restarted: the same processes answer.
    for (const name of ['auth', 'session', 'machine'] as const) expect(hub.pid(name), name).to.be.a('number');
  });
});
