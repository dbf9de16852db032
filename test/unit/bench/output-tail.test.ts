import { expect } from 'chai';
import { OutputTail, redactTokens } from '../../../bench/hubs/bench-hub.js';

describe('bench hub output', () => {
  it('when the launcher prints its banner, then the tokens never reach the kept output', () => {
    expect(redactTokens('  Base token:   3q2+7wAbC')).to.equal('  Base token:   [redacted]');
    expect(redactTokens('  Admin token:  Zm9vYmFy   (hub administration only)')).to.equal('  Admin token:  [redacted]   (hub administration only)');
    expect(redactTokens('    HAPI_API_URL=http://127.0.0.1:1 CLI_API_TOKEN="s3cret:alice" hapi')).to.equal('    HAPI_API_URL=http://127.0.0.1:1 CLI_API_TOKEN="[redacted]" hapi');
    expect(redactTokens('gateway | 10:00:00 INFO  gateway listening  port=3006')).to.equal('gateway | 10:00:00 INFO  gateway listening  port=3006');
  });

  it('when output arrives in pieces, then whole lines are kept, the last ones only', () => {
    const t = new OutputTail(2);
    t.push('one\ntw');
    t.push('o\nthree\nBase token: abc');
    expect(t.text()).to.equal('two\nthree\nBase token: [redacted]');
  });
});
