import { expect } from 'chai';
import { createCliSession, http, MACHINE_METADATA, startHub, type Hub } from '../helpers/hub-harness.js';
import { childrenOf } from '../helpers/local-hub.js';

/**
 * A service that hangs (SIGSTOP: its port still accepts connections, nothing answers) costs a
 * bounded wait, the gateway's service deadline (10 s), then a clear 504 without transport
 * internals; requests that do not need it keep working meanwhile, and it serves again once it
 * runs.
 */
describe('faults: a hung service costs the deadline and a clear 504, never a hang', function () {
  this.timeout(90_000);
  let hub: Hub;
  let alice = '';
  let sid = '';
  let sessionPid = 0;

  before(async () => {
    hub = await startHub();
    alice = `${hub.baseToken}:alice`;
    sid = (await createCliSession(hub.url, alice)).id as string;
    expect((await http(hub.url, 'POST', '/cli/machines', { token: alice, body: { id: 'stall-machine', metadata: MACHINE_METADATA } })).status).to.equal(200);
    sessionPid = childrenOf(process.pid).get('session')!.pid;
  });
  after(async () => {
    if (sessionPid) process.kill(sessionPid, 'SIGCONT');
    await hub?.stop();
  });

  it('when the session service is frozen past the deadline, then its requests answer 504 "Deadline exceeded" at about 10 s, machine requests still answer at once, and it serves again after SIGCONT', async () => {
    process.kill(sessionPid, 'SIGSTOP');
    let stalled: Awaited<ReturnType<typeof http>> | undefined;
    try {
      const started = Date.now();
      const pending = http(hub.url, 'GET', `/cli/sessions/${sid}`, { token: alice, timeoutMs: 20_000 });
      // Meanwhile a request that needs only the machine service is answered at once.
      const t = Date.now();
      const machine = await http(hub.url, 'GET', '/cli/machines/stall-machine', { token: alice, timeoutMs: 5000 });
      expect(machine.status).to.equal(200);
      expect(Date.now() - t).to.be.below(2000);
      stalled = await pending;
      const took = Date.now() - started;
      expect(took, 'bounded by the 10 s deadline').to.be.within(9_000, 13_000);
    } finally {
      process.kill(sessionPid, 'SIGCONT');
    }
    expect(stalled!.status).to.equal(504);
    expect(stalled!.text).to.equal('{"error":"Deadline exceeded"}');
    expect(stalled!.headers.get('x-hapi-protocol-version')).to.equal('1');
    const back = await http(hub.url, 'GET', `/cli/sessions/${sid}`, { token: alice });
    expect(back.status).to.equal(200);
  });

  it('when the session service is killed, then its requests answer 503 with Retry-After within 1 s, with no transport detail', async () => {
    await hub.stopService('session', 'SIGKILL');
    sessionPid = 0;
    const started = Date.now();
    const r = await http(hub.url, 'GET', `/cli/sessions/${sid}`, { token: alice, timeoutMs: 5000 });
    expect(Date.now() - started).to.be.below(1000);
    expect(r.status).to.equal(503);
    expect(r.headers.get('retry-after')).to.equal('1');
    expect(r.text).to.equal('{"error":"Service unavailable"}');
    await hub.startService('session');
  });
});
