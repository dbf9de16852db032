import { expect } from 'chai';
import { EnvReader, ConfigError, readCommon } from '../../../lib/config.js';

describe('config reading', () => {
  it('when several variables are bad, then one error lists every one of them', () => {
    const r = new EnvReader({ A: 'x', B: '99999', C: 'maybe' });
    r.int('A', 1);
    r.port('B', 1);
    r.bool('C', false);
    r.required('D');
    try {
      r.done({});
      expect.fail('expected ConfigError');
    } catch (err) {
      expect(err).to.be.instanceOf(ConfigError);
      const problems = (err as ConfigError).problems;
      expect(problems).to.have.length(4);
      expect(problems.join('\n')).to.contain('A must be an integer').and.contain('B must be <= 65535').and.contain('C must be true or false').and.contain('D is required');
    }
  });

  it('when all variables are fine, then the config is frozen', () => {
    const r = new EnvReader({ PORT: '8080' });
    const cfg = r.done({ port: r.port('PORT', 1) });
    expect(cfg.port).to.equal(8080);
    expect(Object.isFrozen(cfg)).to.equal(true);
  });

  it('when the internal secret is missing or short, then it is a problem; a secret file is read', () => {
    const r1 = new EnvReader({});
    readCommon(r1, () => undefined);
    expect(() => r1.done({})).to.throw(ConfigError, /TEAMHUB_INTERNAL_SECRET/);
    const r2 = new EnvReader({ TEAMHUB_INTERNAL_SECRET: 'short' });
    readCommon(r2, () => undefined);
    expect(() => r2.done({})).to.throw(ConfigError, /at least 16/);
    const r3 = new EnvReader({ TEAMHUB_INTERNAL_SECRET_FILE: '/some/file' });
    const common = readCommon(r3, (p) => (p === '/some/file' ? 'a-long-enough-secret-value\n' : undefined));
    expect(r3.done(common).internalSecret).to.equal('a-long-enough-secret-value');
  });
});
