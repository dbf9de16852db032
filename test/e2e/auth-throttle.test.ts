import { expect } from 'chai';
import { startHub, http, type Hub } from '../helpers/hub-harness.js';

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
  });
});
