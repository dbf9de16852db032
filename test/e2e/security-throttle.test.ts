import { expect } from 'chai';
import { io } from 'socket.io-client';
import { RpcClient } from '../../lib/grpc/client.js';
import { AuthServiceService } from '../../lib/gen/teamhub/auth/v1/auth.js';
import { http, startHub, type Hub } from '../helpers/hub-harness.js';

/**
 * The throttle through the gateway: the test client reaches the gateway on loopback, which is the
 * trusted proxy here, so X-Forwarded-For says which client each request stands for (as Caddy's
 * does in front of the containers).
 */
describe('e2e security: throttling slows guessers, not teammates', function () {
  this.timeout(120_000);
  let hub: Hub;
  const alice = () => `${hub.baseToken}:alice`;
  const bob = () => `${hub.baseToken}:bob`;
  const as = (client: string, token: string) => http(hub.url, 'GET', '/cli/machines/none', { token, headers: { 'x-forwarded-for': client } });

  before(async () => {
    // No gateway cache of good tokens: every attempt below reaches the auth service's throttle.
    hub = await startHub({ env: { TEAMHUB_AUTH_FAIL_LIMIT: '3', TEAMHUB_TRUST_PROXY: '127.0.0.1', TEAMHUB_TOKEN_CACHE_MS: '0' } });
  });
  after(async () => hub?.stop());

  /** The auth service's audit rows (read directly: a throttled address could not use the admin API). */
  const audit = async () => {
    const auth = new RpcClient(AuthServiceService, hub.addrs.auth, { internalSecret: hub.internalSecret });
    try {
      return (await auth.call('listAudit', { limit: 500 }, { hub: true })).entries;
    } finally {
      auth.close();
    }
  };

  it("when a stranger's failures lock a shared address, then alice, whose token worked there before, still gets in; bob, new there, does not", async () => {
    const shared = '203.0.113.5';
    expect((await as(shared, alice())).status).to.equal(404);
    for (let i = 0; i < 3; i++) expect((await as(shared, `guess-${i}:alice`)).status).to.equal(401);
    const stranger = await as(shared, 'guess-9:alice');
    expect(stranger.status).to.equal(429);
    expect(stranger.json).to.deep.equal({ error: 'Too many failed attempts' });
    expect((await as(shared, alice())).status, "alice's known token").to.equal(404);
    // The web login with the same token, from the same client, is let through too.
    expect((await http(hub.url, 'POST', '/api/auth', { body: { accessToken: alice() }, headers: { 'x-forwarded-for': shared } })).status).to.equal(200);
    expect((await as(shared, bob())).status, 'a token that never worked from there').to.equal(429);
    // Another client is not affected at all.
    expect((await as('198.51.100.9', bob())).status).to.equal(404);

    const rows = (await audit()).filter((e) => e.clientAddr === shared && e.action === 'login_failed');
    expect(rows.filter((e) => e.outcome === 'denied')).to.have.length(3);
    expect(rows.filter((e) => e.outcome === 'throttled')).to.have.length(2);
  });

  it('when a guesser rotates through the addresses of one IPv6 /64, then the whole /64 is locked; its neighbour /64 is not', async () => {
    for (let i = 1; i <= 3; i++) expect((await as(`2001:db8:7:1::${i}`, `v6-guess-${i}:alice`)).status).to.equal(401);
    expect((await as('2001:db8:7:1::ffff', 'v6-guess-4:alice')).status).to.equal(429);
    expect((await as('2001:db8:7:1:abcd::1', `${hub.baseToken}:v6`)).status, 'same /64, a token new there').to.equal(429);
    expect((await as('2001:db8:7:2::1', `${hub.baseToken}:v6`)).status).to.equal(404);
  });

  it('when a client puts a fake address in front of X-Forwarded-For, then the trusted proxy’s view of it counts (rightmost untrusted hop)', async () => {
    const real = '192.0.2.44';
    for (let i = 0; i < 3; i++) expect((await as(`10.9.9.${i}, ${real}`, `spoof-${i}:alice`)).status).to.equal(401);
    expect((await as(`10.9.9.99, ${real}`, 'spoof-9:alice')).status).to.equal(429);
    expect((await as(real, 'spoof-10:alice')).status).to.equal(429);
  });

  it('when the socket handshake comes from a locked client, then it is refused the same way; a teammate whose token worked there connects', async () => {
    const locked = '203.0.113.77';
    const carol = `${hub.baseToken}:carol`;
    const connect = (token: string) => {
      const socket = io(`${hub.url}/cli`, { path: '/socket.io/', transports: ['websocket'], reconnection: false, forceNew: true, auth: { token }, extraHeaders: { 'x-forwarded-for': locked } });
      return new Promise<string>((resolve) => {
        socket.once('connect', () => resolve('connected'));
        socket.once('connect_error', (err) => resolve(err.message));
      }).finally(() => socket.close());
    };
    expect(await connect(carol)).to.equal('connected');
    for (let i = 0; i < 3; i++) expect(await connect(`sock-guess-${i}:alice`)).to.equal('Invalid token');
    expect(await connect('sock-guess-9:alice')).to.equal('Too many failed attempts');
    expect(await connect(carol)).to.equal('connected');
    expect(await connect(`${hub.baseToken}:never-here`)).to.equal('Too many failed attempts');
  });
});
