import { expect } from 'chai';
import path from 'node:path';
import { ConfigError } from '../../../lib/config.js';
import { loadSessionConfig } from '../../../services/session/config.js';

describe('session config', () => {
  it('when only the secret is given, then the defaults apply (listen 127.0.0.1:50152, sqlite in ./.teamhub)', () => {
    const cfg = loadSessionConfig({ TEAMHUB_INTERNAL_SECRET: 'x'.repeat(20) });
    expect(cfg.listen).to.equal('127.0.0.1:50152');
    expect(cfg.store).to.deep.equal({ kind: 'sqlite', file: path.resolve('.teamhub', 'session.db') });
  });

  it('when mongo is chosen, then its URL is required and every problem is reported at once', () => {
    const fail = () => loadSessionConfig({ TEAMHUB_STORE: 'mongo', TEAMHUB_LOG_LEVEL: 'loud' });
    expect(fail).to.throw(ConfigError);
    try {
      fail();
    } catch (err) {
      expect((err as ConfigError).problems.join('\n')).to.match(/TEAMHUB_INTERNAL_SECRET/).and.match(/TEAMHUB_MONGO_URL/).and.match(/TEAMHUB_LOG_LEVEL/);
    }
    const cfg = loadSessionConfig({ TEAMHUB_INTERNAL_SECRET: 'x'.repeat(20), TEAMHUB_STORE: 'mongo', TEAMHUB_MONGO_URL: 'mongodb://127.0.0.1:1', TEAMHUB_SESSION_LISTEN: '127.0.0.1:0' });
    expect(cfg).to.deep.include({ listen: '127.0.0.1:0', store: { kind: 'mongo', url: 'mongodb://127.0.0.1:1', dbName: 'teamhub' } });
  });
});
