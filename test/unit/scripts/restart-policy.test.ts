import { expect } from 'chai';
import { CrashHistory, DEFAULT_RESTART_POLICY, type RestartPolicy } from '../../../scripts/restart-policy.js';
import { loadLauncherConfig } from '../../../scripts/launcher-config.js';

const policy: RestartPolicy = { limit: 5, windowMs: 60_000, backoffMs: 500, maxBackoffMs: 15_000 };

describe('launcher restart policy', () => {
  it('when a child crashes again and again within the window, then each restart waits twice as long and the 5th crash gives up', () => {
    const h = new CrashHistory(policy);
    const decisions = [0, 1000, 2000, 3000, 4000].map((t) => h.crashed(t));
    expect(decisions.slice(0, 4)).to.deep.equal([
      { action: 'restart', delayMs: 500, crashesInWindow: 1 },
      { action: 'restart', delayMs: 1000, crashesInWindow: 2 },
      { action: 'restart', delayMs: 2000, crashesInWindow: 3 },
      { action: 'restart', delayMs: 4000, crashesInWindow: 4 },
    ]);
    expect(decisions[4]).to.deep.equal({ action: 'give-up', crashesInWindow: 5 });
  });

  it('when crashes are spread wider than the window, then old ones are forgotten and the backoff starts over', () => {
    const h = new CrashHistory(policy);
    for (const t of [0, 20_000, 40_000]) h.crashed(t);
    // At 60 s the crash at 0 has left the window (exactly windowMs old): 3 in the window, not 4.
    expect(h.crashed(60_000)).to.deep.equal({ action: 'restart', delayMs: 2000, crashesInWindow: 3 });
    // A crash every 20 s forever never reaches 5 within a minute.
    for (let t = 80_000; t < 600_000; t += 20_000) expect(h.crashed(t).action).to.equal('restart');
    expect(new CrashHistory(policy).crashed(10 * 60_000)).to.deep.equal({ action: 'restart', delayMs: 500, crashesInWindow: 1 });
  });

  it('when the limit is high, then the delay stops growing at the cap', () => {
    const h = new CrashHistory({ ...policy, limit: 100 });
    const delays = Array.from({ length: 10 }, (_, i) => h.crashed(i)).map((d) => (d.action === 'restart' ? d.delayMs : -1));
    expect(delays).to.deep.equal([500, 1000, 2000, 4000, 8000, 15_000, 15_000, 15_000, 15_000, 15_000]);
  });

  it('when the limit is 1, then the first crash already gives up (no supervision)', () => {
    expect(new CrashHistory({ ...policy, limit: 1 }).crashed(0)).to.deep.equal({ action: 'give-up', crashesInWindow: 1 });
  });
});

describe('launcher settings', () => {
  it('when nothing is set, then the defaults apply (5 crashes in 60 s, 0.5 s first backoff, port 3006, ./.teamhub)', () => {
    const c = loadLauncherConfig({});
    expect(c).to.deep.equal({ dataDir: '.teamhub', host: '127.0.0.1', port: 3006, restart: DEFAULT_RESTART_POLICY, serviceProcesses: 'one' });
  });

  it('when the restart settings are given, then they are used', () => {
    const c = loadLauncherConfig({ TEAMHUB_RESTART_LIMIT: '3', TEAMHUB_RESTART_WINDOW_MS: '10000', TEAMHUB_RESTART_BACKOFF_MS: '100', HAPI_LISTEN_PORT: '0' });
    expect(c.restart).to.deep.equal({ limit: 3, windowMs: 10_000, backoffMs: 100, maxBackoffMs: 15_000 });
    expect(c.port).to.equal(0);
  });

  it('when settings are bad, then every problem is reported at once', () => {
    expect(() => loadLauncherConfig({ TEAMHUB_RESTART_LIMIT: '0', TEAMHUB_RESTART_WINDOW_MS: '1.5', TEAMHUB_RESTART_BACKOFF_MS: '-1', HAPI_LISTEN_PORT: '70000' }))
      .to.throw()
      .with.property('problems')
      .that.deep.equals([
        'TEAMHUB_RESTART_LIMIT must be >= 1, got 0',
        'TEAMHUB_RESTART_WINDOW_MS must be an integer, got "1.5"',
        'TEAMHUB_RESTART_BACKOFF_MS must be >= 0, got -1',
        'HAPI_LISTEN_PORT must be <= 65535, got 70000',
      ]);
  });
});
