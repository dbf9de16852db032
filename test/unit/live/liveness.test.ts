import { expect } from 'chai';
import pino from 'pino';
import type { Namespace } from '../../../lib/namespace.js';
import { Liveness, MAX_ALIVE_AGE_MS, type LivenessEffects } from '../../../gateway/live/liveness.js';

const alice = 'alice' as Namespace;
const bob = 'bob' as Namespace;

function setup(opts: { failActivate?: number } = {}) {
  let now = 1_000_000;
  const calls: string[] = [];
  let failures = opts.failActivate ?? 0;
  const effects: LivenessEffects = {
    activate: async (kind, ns, id) => {
      if (failures > 0) {
        failures--;
        throw new Error('service down');
      }
      calls.push(`activate ${kind} ${ns} ${id}`);
    },
    expire: async (kind, ns, id) => void calls.push(`expire ${kind} ${ns} ${id}`),
    end: async (kind, ns, id) => void calls.push(`end ${kind} ${ns} ${id}`),
    thinking: async (ns, id, t) => void calls.push(`thinking ${ns} ${id} ${t}`),
  };
  const live = new Liveness({ sessionTimeoutMs: 1500, machineTimeoutMs: 3000, effects, log: pino({ level: 'silent' }), clock: () => now });
  return { live, calls, advance: (ms: number) => (now += ms), now: () => now };
}

describe('unit live: liveness tracker', () => {
  it('when 20 heartbeats arrive, then only the first one causes a transition', async () => {
    const { live, calls, advance, now } = setup();
    for (let i = 0; i < 20; i++) {
      live.touch('session', alice, 's1', now(), { thinking: false });
      advance(100);
    }
    await live.settled();
    expect(calls).to.deep.equal(['activate session alice s1']);
    expect(live.lastAlive('session', alice, 's1')).to.equal(now() - 100);
  });

  it('when thinking flips, then one service call per change and none while it stays', async () => {
    const { live, calls, now } = setup();
    live.touch('session', alice, 's1', now(), { thinking: true });
    live.touch('session', alice, 's1', now(), { thinking: true });
    live.touch('session', alice, 's1', now(), { thinking: false });
    await live.settled();
    expect(calls).to.deep.equal(['activate session alice s1', 'thinking alice s1 true', 'thinking alice s1 false']);
  });

  it('when the window passes without a heartbeat, then the sweep expires it once; machines use their own window', async () => {
    const { live, calls, advance, now } = setup();
    live.touch('session', alice, 's1', now());
    live.touch('machine', alice, 'm1', now());
    advance(1600);
    live.sweep();
    live.sweep();
    await live.settled();
    expect(calls).to.deep.equal(['activate session alice s1', 'activate machine alice m1', 'expire session alice s1']);
    advance(2000);
    live.sweep();
    await live.settled();
    expect(calls.at(-1)).to.equal('expire machine alice m1');
    expect(live.lastAlive('session', alice, 's1')).to.equal(undefined);
  });

  it('when the same id is alive in two namespaces, then they are tracked apart', async () => {
    const { live, calls, now } = setup();
    live.touch('session', alice, 'same', now());
    live.touch('session', bob, 'same', now());
    await live.settled();
    expect(calls).to.deep.equal(['activate session alice same', 'activate session bob same']);
  });

  it('when a heartbeat time is in the future, then it is clamped to now; older than 10 min is ignored', async () => {
    const { live, calls, now } = setup();
    live.touch('session', alice, 'future', now() + 60_000);
    expect(live.lastAlive('session', alice, 'future')).to.equal(now());
    live.touch('session', alice, 'stale', now() - MAX_ALIVE_AGE_MS - 1);
    await live.settled();
    expect(live.lastAlive('session', alice, 'stale')).to.equal(undefined);
    expect(calls).to.deep.equal(['activate session alice future']);
  });

  it('when activation fails, then the next heartbeat retries it', async () => {
    const { live, calls, now } = setup({ failActivate: 1 });
    live.touch('session', alice, 's1', now());
    await live.settled();
    expect(calls).to.deep.equal([]);
    live.touch('session', alice, 's1', now());
    await live.settled();
    expect(calls).to.deep.equal(['activate session alice s1']);
  });

  it('when a session ends, then the end runs after the queued activation and the entry is gone', async () => {
    const { live, calls, now } = setup();
    live.touch('session', alice, 's1', now());
    await live.endAndWait('session', alice, 's1', now());
    expect(calls).to.deep.equal(['activate session alice s1', 'end session alice s1']);
    live.sweep();
    await live.settled();
    expect(calls).to.have.length(2);
  });
});
