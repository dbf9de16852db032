import { expect } from 'chai';
import { startHub, http, waitFor, type Hub } from '../helpers/hub-harness.js';

describe('e2e auth: web logout revokes the JWT on every gateway replica', function () {
  this.timeout(60_000);
  let hub: Hub;

  before(async () => {
    hub = await startHub({ gateways: 2 });
  });
  after(async () => hub?.stop());

  const login = async (url: string, accessToken: string): Promise<string> => {
    const r = await http(url, 'POST', '/api/auth', { body: { accessToken } });
    expect(r.status).to.equal(200);
    return r.json.token as string;
  };

  it('when a JWT from one replica is used on the other, then it is accepted (shared key)', async () => {
    const jwt = await login(hub.urls[0]!, `${hub.baseToken}:alice`);
    for (const url of hub.urls) expect((await http(url, 'GET', '/api/audit', { token: jwt })).status).to.equal(200);
  });

  it('when alice logs out on replica 0, then her JWT is refused on both replicas within 1 s; bob and a fresh login still work', async () => {
    const jwt = await login(hub.urls[0]!, `${hub.baseToken}:alice`);
    const other = await login(hub.urls[1]!, `${hub.baseToken}:alice`);
    const bob = await login(hub.urls[1]!, `${hub.baseToken}:bob`);
    for (const url of hub.urls) expect((await http(url, 'GET', '/api/audit', { token: jwt })).status).to.equal(200);

    const out = await http(hub.urls[0]!, 'POST', '/api/auth/logout', { token: jwt });
    expect(out.status).to.equal(200);
    expect(out.json).to.deep.equal({ ok: true });

    // Replica 0 applies it at once; replica 1 learns it from the NATS revocation event.
    const r0 = await http(hub.urls[0]!, 'GET', '/api/audit', { token: jwt });
    expect(r0.status).to.equal(401);
    expect(r0.json).to.deep.equal({ error: 'Invalid token' });
    await waitFor(async () => (await http(hub.urls[1]!, 'GET', '/api/audit', { token: jwt })).status === 401, {
      timeoutMs: 1000,
      what: 'revocation on replica 1',
    });
    expect((await http(hub.urls[1]!, 'POST', '/api/auth/logout', { token: jwt })).status).to.equal(401);

    for (const url of hub.urls) {
      expect((await http(url, 'GET', '/api/audit', { token: other })).status, 'other alice JWT').to.equal(200);
      expect((await http(url, 'GET', '/api/audit', { token: bob })).status, 'bob JWT').to.equal(200);
    }
  });

  it('when logout has no or a bad token, then 401 as HAPI', async () => {
    const none = await http(hub.urls[0]!, 'POST', '/api/auth/logout');
    expect(none.status).to.equal(401);
    expect(none.json).to.deep.equal({ error: 'Missing authorization token' });
    const raw = await http(hub.urls[0]!, 'POST', '/api/auth/logout', { token: `${hub.baseToken}:alice` });
    expect(raw.json).to.deep.equal({ error: 'Invalid token' });
  });

  it('when a gateway replica is killed, then the other keeps serving', async () => {
    await hub.killGateway(1);
    const r = await http(hub.urls[0]!, 'GET', '/cli/machines/none', { token: `${hub.baseToken}:alice` });
    expect(r.status).to.equal(404);
  });
});
