import { expect } from 'chai';
import { SignJWT } from 'jose';
import { signInitData } from '../../lib/auth/telegram-init-data.js';
import { startHub, http, decodeJwt, type Hub } from '../helpers/hub-harness.js';
import { startTelegramStub, type TelegramStub } from '../helpers/telegram-stub.js';

/**
 * Telegram Mini App login and binding (HAPI's initData login, one account per namespace) and forged web JWTs, through the gateway. A local
 * stub stands in for the Bot API, so nothing leaves the machine.
 */
describe('e2e auth: Telegram login and bind, forged JWTs', function () {
  this.timeout(60_000);
  let stub: TelegramStub;
  let hub: Hub;
  const now = () => String(Math.floor(Date.now() / 1000));
  const initData = (userId: number, authDate = now()) => signInitData(stub.token, { auth_date: authDate, user: JSON.stringify({ id: userId, first_name: 'T', username: `u${userId}` }) });
  const auth = (body: unknown) => http(hub.url, 'POST', '/api/auth', { body });
  const bind = (body: unknown) => http(hub.url, 'POST', '/api/bind', { body });

  before(async () => {
    stub = await startTelegramStub();
    hub = await startHub({ env: { TELEGRAM_BOT_TOKEN: stub.token, TELEGRAM_API_BASE_URL: stub.url, TELEGRAM_POLL_TIMEOUT_SEC: '1', TEAMHUB_AUTH_FAIL_LIMIT: '1000' } });
  });
  after(async () => {
    await hub?.stop();
    await stub?.stop();
  });

  it('when valid initData comes from an unbound account, then 401 not_bound', async () => {
    const r = await auth({ initData: initData(7001) });
    expect(r.status).to.equal(401);
    expect(r.json).to.deep.equal({ error: 'not_bound' });
  });

  it('when the account binds to alice, then it gets a JWT for alice, and later Mini App logins too', async () => {
    const b = await bind({ initData: initData(7002), accessToken: `${hub.baseToken}:alice` });
    expect(b.status, b.text).to.equal(200);
    expect(decodeJwt((b.json as { token: string }).token).payload.ns).to.equal('alice');
    const login = await auth({ initData: initData(7002) });
    expect(login.status).to.equal(200);
    expect(decodeJwt((login.json as { token: string }).token).payload.ns).to.equal('alice');
  });

  it('when the same account binds to bob, then 409 already_bound and it stays alice', async () => {
    const b = await bind({ initData: initData(7002), accessToken: `${hub.baseToken}:bob` });
    expect(b.status).to.equal(409);
    expect(b.json).to.deep.equal({ error: 'already_bound' });
    const login = await auth({ initData: initData(7002) });
    expect(decodeJwt((login.json as { token: string }).token).payload.ns).to.equal('alice');
  });

  it('when binding with a wrong access token, then 401 Invalid access token and nothing is bound', async () => {
    const b = await bind({ initData: initData(7003), accessToken: 'wrong:alice' });
    expect(b.status).to.equal(401);
    expect(b.json).to.deep.equal({ error: 'Invalid access token' });
    expect((await auth({ initData: initData(7003) })).json).to.deep.equal({ error: 'not_bound' });
  });

  it('when initData is tampered, expired or has no hash, then 401 with a clear message', async () => {
    const good = initData(7002);
    const tampered = good.replace(/first_name%22%3A%22T/, 'first_name%22%3A%22X');
    expect(tampered).to.not.equal(good);
    expect((await auth({ initData: tampered })).json).to.deep.equal({ error: 'Invalid initData signature' });
    const expired = initData(7002, String(Math.floor(Date.now() / 1000) - 25 * 3600));
    expect((await auth({ initData: expired })).json).to.deep.equal({ error: 'initData is too old' });
    const noHash = good.split('&').filter((kv) => !kv.startsWith('hash=')).join('&');
    const r = await auth({ initData: noHash });
    expect(r.status).to.equal(401);
    expect(r.json).to.deep.equal({ error: 'Missing hash' });
  });

  it('when alice unbinds, then the account is unbound and can bind to bob; bob cannot unbind alice', async () => {
    const aliceJwt = ((await auth({ accessToken: `${hub.baseToken}:alice` })).json as { token: string }).token;
    const bobJwt = ((await auth({ accessToken: `${hub.baseToken}:bob` })).json as { token: string }).token;
    const byBob = await http(hub.url, 'POST', '/api/unbind', { token: bobJwt, body: { initData: initData(7002) } });
    expect((await auth({ initData: initData(7002) })).status, byBob.text).to.equal(200);
    const byAlice = await http(hub.url, 'POST', '/api/unbind', { token: aliceJwt, body: { initData: initData(7002) } });
    expect(byAlice.status, byAlice.text).to.equal(200);
    expect((await auth({ initData: initData(7002) })).json).to.deep.equal({ error: 'not_bound' });
    const b = await bind({ initData: initData(7002), accessToken: `${hub.baseToken}:bob` });
    expect(decodeJwt((b.json as { token: string }).token).payload.ns).to.equal('bob');
  });

  it('when a JWT is signed with another key, expired, or has its ns edited, then 401', async () => {
    const real = ((await auth({ accessToken: `${hub.baseToken}:alice` })).json as { token: string }).token;
    const { payload } = decodeJwt(real);
    const otherKey = await new SignJWT({ ...payload }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode('not-the-hub-key-0123456789abcdef'));
    const nowSec = Math.floor(Date.now() / 1000);
    const edited = (() => {
      const [h, , sig] = real.split('.');
      const p = Buffer.from(JSON.stringify({ ...payload, ns: 'bob' })).toString('base64url');
      return `${h}.${p}.${sig}`;
    })();
    for (const [what, jwt] of [['other key', otherKey], ['edited ns', edited]] as const) {
      const r = await http(hub.url, 'GET', '/api/sessions', { token: jwt });
      expect(r.status, what).to.equal(401);
      expect(r.json, what).to.deep.equal({ error: 'Invalid token' });
    }
    // An expired token can only be made with the hub key, which stays inside the auth service;
    // sign one with the key the auth service hands its gateways (the verifier RPC).
    const { RpcClient } = await import('../../lib/grpc/client.js');
    const { AuthServiceService } = await import('../../lib/gen/teamhub/auth/v1/auth.js');
    const client = new RpcClient(AuthServiceService, hub.addrs.auth, { internalSecret: hub.internalSecret });
    const { jwtSecret } = await client.call('getJwtVerifier', {}, { hub: true });
    client.close();
    const expired = await new SignJWT({ uid: payload.uid, ns: 'alice' }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt(nowSec - 5 * 3600).setExpirationTime(nowSec - 3600).setJti('x').sign(jwtSecret);
    const r = await http(hub.url, 'GET', '/api/sessions', { token: expired });
    expect(r.status).to.equal(401);
    expect(r.json).to.deep.equal({ error: 'Invalid token' });
    const fresh = await new SignJWT({ uid: payload.uid, ns: 'alice' }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt(nowSec).setExpirationTime(nowSec + 60).setJti('y').sign(jwtSecret);
    expect((await http(hub.url, 'GET', '/api/sessions', { token: fresh })).status, 'the same key, unexpired, works').to.equal(200);
  });
});
