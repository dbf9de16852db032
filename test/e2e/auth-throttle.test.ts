import { expect } from 'chai';
import { startHub, http, type Hub } from '../helpers/hub-harness.js';
import { RpcClient } from '../../lib/grpc/client.js';
import { AuthServiceService } from '../../lib/gen/teamhub/auth/v1/auth.js';

describe('e2e auth: repeated wrong tokens from one address are throttled (default limit)', function () {
  this.timeout(60_000);
  let hub: Hub;

  before(async () => {
    // The only e2e suite that keeps the default failed-login limit (10 per window).
    hub = await startHub({ env: { TEAMHUB_AUTH_FAIL_LIMIT: '10' } });
  });
  after(async () => hub?.stop());

  it('when 11 wrong tokens come from one address, then the 11th gets 429 with Retry-After', async () => {
    for (let i = 0; i < 10; i++) {
      const r = await http(hub.url, 'GET', '/cli/machines/x', { token: `wrong-${i}:alice` });
      expect(r.status, `attempt ${i + 1}`).to.equal(401);
      expect(r.json).to.deep.equal({ error: 'Invalid token' });
    }
    const r = await http(hub.url, 'GET', '/cli/machines/x', { token: 'wrong-11:alice' });
    expect(r.status).to.equal(429);
    expect(r.json).to.have.property('error').that.is.a('string');
    expect(r.headers.get('x-hapi-protocol-version')).to.equal('1');
    const retryAfter = Number(r.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter) && retryAfter >= 1).to.equal(true);

    const web = await http(hub.url, 'POST', '/api/auth', { body: { accessToken: 'wrong:alice' } });
    expect(web.status).to.equal(429);
    expect(Number(web.headers.get('retry-after'))).to.be.greaterThan(0);

    // The audit log shows each of the 12 attempts. Read it from the auth service directly: this
    // address is throttled, so even the admin API would refuse it for now.
    const auth = new RpcClient(AuthServiceService, hub.addrs.auth, { internalSecret: hub.internalSecret });
    const { entries } = await auth.call('listAudit', { limit: 500 }, { hub: true });
    auth.close();
    const failed = entries.filter((e) => e.action === 'login_failed');
    expect(failed.filter((e) => e.outcome === 'denied')).to.have.length(10);
    expect(failed.filter((e) => e.outcome === 'throttled')).to.have.length(2);
    expect(failed.every((e) => e.namespace === undefined && e.clientAddr !== '')).to.equal(true);
  });
});
