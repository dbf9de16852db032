import { expect } from 'chai';
import { startHub, http, waitFor, decodeJwt, MACHINE_METADATA, type Hub } from '../helpers/hub-harness.js';
import { connectCli } from '../helpers/cli-socket.js';

describe('e2e admin: registered mode namespaces (create, rotate, revoke) across two replicas', function () {
  this.timeout(60_000);
  let hub: Hub;

  before(async () => {
    hub = await startHub({ gateways: 2, env: { TEAMHUB_NAMESPACE_MODE: 'registered' } });
  });
  after(async () => hub?.stop());

  const admin = (method: string, path: string, body?: unknown) => http(hub.url, method, path, { token: hub.adminToken, body });
  const cliStatus = async (url: string, token: string) => (await http(url, 'GET', '/cli/machines/none', { token })).status;
  const jwtStatus = async (url: string, jwt: string) => (await http(url, 'GET', '/api/audit', { token: jwt })).status;
  /**
   * Logs in once and checks the JWT works at once: a user who just got a token (even in the same
   * second as a rotation or revocation of another credential) must not be refused with it.
   */
  const login = async (token: string): Promise<string> => {
    const r = await http(hub.url, 'POST', '/api/auth', { body: { accessToken: token } });
    expect(r.status, r.text).to.equal(200);
    const jwt = r.json.token as string;
    for (const url of hub.urls) expect(await jwtStatus(url, jwt), `a fresh JWT works on ${url}`).to.equal(200);
    return jwt;
  };

  let aliceToken = '';
  it('when the admin creates namespace alice, then its token is shown once and works on /cli and /api/auth', async () => {
    const r = await admin('POST', '/admin/v1/namespaces', { name: 'alice', label: 'Alice' });
    expect(r.status).to.equal(200);
    expect(r.json.namespace).to.include({ name: 'alice', label: 'Alice', revoked: false });
    expect(r.json.token).to.be.a('string').with.length.greaterThan(20);
    aliceToken = r.json.token;
    const m = await http(hub.url, 'POST', '/cli/machines', { token: aliceToken, body: { id: 'reg-m1', metadata: MACHINE_METADATA } });
    expect(m.status).to.equal(200);
    expect(m.json.machine.namespace).to.equal('alice');
    const jwt = await login(aliceToken);
    expect(decodeJwt(jwt).payload.ns).to.equal('alice');
    const list = await admin('GET', '/admin/v1/namespaces');
    expect(list.json.namespaces.map((n: { name: string }) => n.name)).to.include('alice');
    expect(JSON.stringify(list.json)).to.not.include(aliceToken);
  });

  it('when base:alice or the bare base token is used, then it is refused', async () => {
    expect(await cliStatus(hub.url, `${hub.baseToken}:alice`)).to.equal(401);
    expect(await cliStatus(hub.url, hub.baseToken)).to.equal(401);
    const r = await http(hub.url, 'POST', '/api/auth', { body: { accessToken: `${hub.baseToken}:alice` } });
    expect(r.status).to.equal(401);
    expect(r.json).to.deep.equal({ error: 'Invalid access token' });
  });

  it("when alice's token meets carol's data on any surface (/cli, /api, socket), then it is refused", async () => {
    const carol = await admin('POST', '/admin/v1/namespaces', { name: 'carol', label: 'Carol' });
    const carolToken = carol.json.token as string;
    const carolSession = await http(hub.url, 'POST', '/cli/sessions', { token: carolToken, body: { tag: 'carol-1', metadata: { path: '/c', host: 'h' } } });
    const sid = carolSession.json.session.id as string;
    expect((await http(hub.url, 'GET', `/cli/sessions/${sid}`, { token: aliceToken })).status).to.equal(403);
    const aliceJwt = await login(aliceToken);
    expect((await http(hub.url, 'GET', `/api/sessions/${sid}`, { token: aliceJwt })).status).to.equal(403);
    expect((await http(hub.url, 'GET', '/api/sessions', { token: aliceJwt })).json.sessions).to.deep.equal([]);
    const sock = await connectCli(hub.url, aliceToken, { sessionId: sid });
    try {
      expect(await sock.waitEvent('error', (e) => e?.id === sid)).to.include({ code: 'access-denied' });
      // A registered token carries no namespace of its own choosing: `<alice token>:carol` is just a wrong token.
      expect(await cliStatus(hub.url, `${aliceToken}:carol`)).to.equal(401);
    } finally {
      sock.close();
    }
  });

  it('when a duplicate or invalid namespace is created, then 4xx', async () => {
    expect((await admin('POST', '/admin/v1/namespaces', { name: 'alice', label: 'again' })).status).to.equal(409);
    expect((await admin('POST', '/admin/v1/namespaces', { name: 'x'.repeat(300) })).status).to.equal(400);
    expect((await admin('POST', '/admin/v1/namespaces', {})).status).to.equal(400);
    expect((await admin('POST', '/admin/v1/namespaces/nobody/rotate')).status).to.equal(404);
  });

  it('when alice token is rotated, then the old token and its JWTs are refused on both replicas within 1 s', async () => {
    const oldJwt = await login(aliceToken);
    for (const url of hub.urls) {
      expect(await cliStatus(url, aliceToken)).to.equal(404); // warms each replica's token cache
      expect(await jwtStatus(url, oldJwt)).to.equal(200);
    }
    const r = await admin('POST', '/admin/v1/namespaces/alice/rotate');
    expect(r.status).to.equal(200);
    const fresh = r.json.token as string;
    expect(fresh).to.not.equal(aliceToken);
    // Logged in at once, most likely within the same second as the rotation: the old JWTs are
    // cut off by issue time, and this one, issued after the rotation, must not be.
    const freshJwt = await login(fresh);
    for (const url of hub.urls) {
      await waitFor(async () => (await cliStatus(url, aliceToken)) === 401 && (await jwtStatus(url, oldJwt)) === 401, {
        timeoutMs: 1000,
        what: `old credentials refused on ${url}`,
      });
      expect(await cliStatus(url, fresh)).to.equal(404);
      expect(await jwtStatus(url, freshJwt), `the JWT issued right after the rotation still works on ${url}`).to.equal(200);
    }
    expect(decodeJwt(freshJwt).payload.ns).to.equal('alice');
    aliceToken = fresh;
  });

  it('when alice is revoked, then her token and JWTs are refused on both replicas within 1 s; bob is unaffected', async () => {
    const bob = (await admin('POST', '/admin/v1/namespaces', { name: 'bob', label: 'Bob' })).json.token as string;
    const aliceJwt = await login(aliceToken);
    const bobJwt = await login(bob);
    for (const url of hub.urls) expect(await cliStatus(url, aliceToken)).to.equal(404);
    const r = await admin('POST', '/admin/v1/namespaces/alice/revoke');
    expect(r.status).to.equal(200);
    expect(r.json.namespace).to.include({ name: 'alice', revoked: true });
    for (const url of hub.urls) {
      await waitFor(async () => (await cliStatus(url, aliceToken)) === 401 && (await jwtStatus(url, aliceJwt)) === 401, {
        timeoutMs: 1000,
        what: `revoked alice refused on ${url}`,
      });
      expect(await cliStatus(url, bob)).to.equal(404);
      expect(await jwtStatus(url, bobJwt)).to.equal(200);
    }
    const audit = await admin('GET', '/admin/v1/audit?namespace=alice&limit=500');
    const details = audit.json.entries.map((e: { detail: string }) => e.detail);
    expect(details).to.include('revoke-namespace');
  });
});
