import { expect } from 'chai';
import { ConfigError } from '../../../lib/config.js';
import { loadSessionConfig } from '../../../services/session/config.js';

const SECRET = { TEAMHUB_INTERNAL_SECRET: 'x'.repeat(20) };

describe('session config: scheduled delivery', () => {
  it('when nothing is set, then the scheduler looks every 2 s at the latest and a claim holds 30 s', () => {
    expect(loadSessionConfig(SECRET).schedule).to.deep.equal({ pollMs: 2_000, claimMs: 30_000 });
  });

  it('when set, then the values are used; out of range or not a number, then every problem is reported at once', () => {
    expect(loadSessionConfig({ ...SECRET, TEAMHUB_SCHEDULE_POLL_MS: '200', TEAMHUB_SCHEDULE_CLAIM_MS: '3000' }).schedule).to.deep.equal({ pollMs: 200, claimMs: 3_000 });
    try {
      loadSessionConfig({ ...SECRET, TEAMHUB_SCHEDULE_POLL_MS: '5', TEAMHUB_SCHEDULE_CLAIM_MS: 'soon' });
      expect.fail('accepted');
    } catch (err) {
      expect(err).to.be.instanceOf(ConfigError);
      expect((err as ConfigError).problems).to.deep.equal(['TEAMHUB_SCHEDULE_POLL_MS must be >= 10, got 5', 'TEAMHUB_SCHEDULE_CLAIM_MS must be an integer, got "soon"']);
    }
  });
});
