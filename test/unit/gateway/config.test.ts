import { expect } from 'chai';
import { loadGatewayConfig } from '../../../gateway/config.js';
import { ConfigError } from '../../../lib/config.js';

const SECRET = { TEAMHUB_INTERNAL_SECRET: 'a-strong-internal-secret' };

describe('gateway config', () => {
  it('when nothing but the secret is set, then HAPI and teamhub defaults apply', () => {
    const c = loadGatewayConfig(SECRET);
    expect(c).to.include({ listenHost: '127.0.0.1', listenPort: 3006, publicUrl: 'http://localhost:3006' });
    expect(c.corsOrigins).to.deep.equal(['http://localhost:3006']);
    expect(c).to.include({ authAddr: '127.0.0.1:50151', sessionAddr: '127.0.0.1:50152', machineAddr: '127.0.0.1:50153' });
    expect(c).to.include({ maxBodyBytes: 8 * 1024 * 1024, sessionTimeoutMs: 30_000, machineTimeoutMs: 45_000, sweepIntervalMs: 5_000 });
    expect(c).to.include({ rpcTimeoutMs: 30_000, replicaLeaseMs: 10_000, sseHeartbeatMs: 30_000, sessionTransitionWaitMs: 15_000 });
    expect(c.webDir.endsWith('web/dist')).to.equal(true);
  });

  it('when the port and public URL are set, then CORS defaults to the public origin', () => {
    const c = loadGatewayConfig({ ...SECRET, HAPI_LISTEN_PORT: '4000', HAPI_PUBLIC_URL: 'https://hub.example.com/app/' });
    expect(c.listenPort).to.equal(4000);
    expect(c.publicUrl).to.equal('https://hub.example.com/app');
    expect(c.corsOrigins).to.deep.equal(['https://hub.example.com']);
  });

  it('when CORS_ORIGINS lists origins or *, then they are kept as origins', () => {
    expect(loadGatewayConfig({ ...SECRET, CORS_ORIGINS: 'http://a.test:1/x, *' }).corsOrigins).to.deep.equal(['http://a.test:1', '*']);
  });

  it('when several values are bad, then one ConfigError lists every problem', () => {
    try {
      loadGatewayConfig({ HAPI_LISTEN_PORT: 'x', CORS_ORIGINS: 'ftp://x', TEAMHUB_AUTH_ADDR: 'nohost', TEAMHUB_SESSION_TIMEOUT_MS: '0' });
      expect.fail('should throw');
    } catch (err) {
      expect(err).to.be.instanceOf(ConfigError);
      const problems = (err as ConfigError).problems.join('\n');
      for (const name of ['HAPI_LISTEN_PORT', 'CORS_ORIGINS', 'TEAMHUB_AUTH_ADDR', 'TEAMHUB_SESSION_TIMEOUT_MS', 'TEAMHUB_INTERNAL_SECRET']) {
        expect(problems).to.include(name);
      }
    }
  });
});
