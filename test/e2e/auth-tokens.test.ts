import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { startHub, http, decodeJwt, MACHINE_METADATA, type Hub } from '../helpers/hub-harness.js';

/** The token grammar as the reference hub answers it, through the /cli Bearer header and the /api/auth body. */
describe('e2e auth: access-token grammar on every surface', function () {
  this.timeout(60_000);
  let hub: Hub;
  let B: string;

  before(async () => {
    hub = await startHub();
    B = hub.baseToken;
  });
  after(async () => hub?.stop());

  const viaHeader = (token: string) => http(hub.url, 'POST', '/cli/machines', { token, body: { id: `m-${randomUUID()}`, metadata: MACHINE_METADATA } });
  const viaBody = (accessToken: string) => http(hub.url, 'POST', '/api/auth', { body: { accessToken } });

  // [token, namespace or null when refused]
  const table = (): [string, string | null][] => [
    [B, 'default'],
    ['wrong', null],
    [`${B}:`, null],
    [`${B}:a:b`, null],
    [':alice', null],
    [`${B}: alice`, null],
    [`${B} :alice`, null],
    [`  ${B}:alice  `, 'alice'],
    [`${B}:alice `, 'alice'],
    [`${B}:default`, 'default'],
    [`${B}:with space`, 'with space'],
    [`${B}:a.b`, 'a.b'],
    [`${B}:ünïcödé`, 'ünïcödé'],
    [`${B}:🙂`, '🙂'],
    [`${B}:a/b`, 'a/b'],
    [`${B}:\tx`, null],
    [`${B}:null`, 'null'],
    [`${B.toUpperCase()}:alice`, null],
    [`${B}::alice`, null],
    [`${B}:${'n'.repeat(256)}`, 'n'.repeat(256)],
    [`${B}:${'é'.repeat(128)}`, 'é'.repeat(128)],
    [`${B}:${'n'.repeat(257)}`, null],
    [`${B}:${'n'.repeat(5000)}`, null],
    [`${B}:a\tb`, null],
  ];

  it('when a token is sent as the /cli Bearer header, then the namespace or 401 Invalid token', async () => {
    for (const [token, ns] of table()) {
      const r = await viaHeader(token);
      if (ns === null) {
        expect(r.status, JSON.stringify(token)).to.equal(401);
        expect(r.text, JSON.stringify(token)).to.equal('{"error":"Invalid token"}');
        expect(r.headers.get('x-hapi-protocol-version')).to.equal('1');
      } else {
        expect(r.status, JSON.stringify(token)).to.equal(200);
        expect(r.json.machine.namespace, JSON.stringify(token)).to.equal(ns);
      }
    }
  });

  it('when a token is sent to POST /api/auth, then the same namespace in the JWT or 401 Invalid access token', async () => {
    for (const [token, ns] of [...table(), ['', null] as [string, null], [`${B}:a\u0001b`, null] as [string, null]]) {
      const r = await viaBody(token);
      if (ns === null) {
        expect(r.status, JSON.stringify(token)).to.equal(401);
        expect(r.text, JSON.stringify(token)).to.equal('{"error":"Invalid access token"}');
      } else {
        expect(r.status, JSON.stringify(token)).to.equal(200);
        expect(decodeJwt(r.json.token).payload.ns, JSON.stringify(token)).to.equal(ns);
      }
    }
  });

  it('when the Authorization header is missing or malformed, then HAPI raw-header answers', async () => {
    const get = (authorization?: string) => http(hub.url, 'GET', '/cli/machines/x', { authorization });
    expect((await get()).text).to.equal('{"error":"Missing Authorization header"}');
    expect((await get()).status).to.equal(401);
    for (const h of ['Basic YmFzZQ==', 'Bearer', 'Bearer ', `Token ${B}`]) {
      const r = await get(h);
      expect(r.status, h).to.equal(401);
      expect(r.text, h).to.equal('{"error":"Invalid Authorization header"}');
    }
    for (const h of [`bearer ${B}:alice`, `Bearer  ${B}:alice`, `BEARER ${B}:ünï`]) {
      const r = await get(h);
      expect(r.status, h).to.equal(404);
      expect(r.text, h).to.equal('{"error":"Machine not found"}');
    }
  });

  it('when the header carries bytes that are not UTF-8, then 401 Invalid token', async () => {
    const res = await fetch(`${hub.url}/cli/machines/x`, { headers: { authorization: `Bearer ${B}:\u00ff\u00fe` } });
    expect(res.status).to.equal(401);
    expect(await res.text()).to.equal('{"error":"Invalid token"}');
  });

  it('when a non-ASCII namespace comes via the header, then it equals the one from /api/auth', async () => {
    const r = await viaHeader(`${B}:ünï`);
    const a = await viaBody(`${B}:ünï`);
    expect(r.json.machine.namespace).to.equal('ünï');
    expect(decodeJwt(a.json.token).payload.ns).to.equal('ünï');
  });

  it('when logging in with a token, then the JWT is HAPI-shaped (HS256, uid/ns/iat/exp/jti, 4 h)', async () => {
    const r = await viaBody(`${B}:alice`);
    expect(r.status).to.equal(200);
    expect(Object.keys(r.json)).to.deep.equal(['token', 'user']);
    expect(r.json.user).to.deep.equal({ id: r.json.user.id, firstName: 'Web User' });
    expect(r.json.user.id).to.be.a('number');
    const { header, payload } = decodeJwt(r.json.token);
    expect(header).to.deep.equal({ alg: 'HS256' });
    expect(payload).to.have.all.keys('uid', 'ns', 'iat', 'exp', 'jti');
    expect(payload.ns).to.equal('alice');
    expect(payload.uid).to.equal(r.json.user.id);
    expect(Number(payload.exp) - Number(payload.iat)).to.equal(4 * 60 * 60);
  });

  it('when /api/auth gets a bad body or Telegram is not configured, then HAPI errors', async () => {
    for (const body of [{}, { accessToken: 5 }, { initData: null }, 'x']) {
      const r = await http(hub.url, 'POST', '/api/auth', { body });
      expect(r.status, JSON.stringify(body)).to.equal(400);
      expect(r.text).to.equal('{"error":"Invalid body"}');
    }
    const tg = await http(hub.url, 'POST', '/api/auth', { body: { initData: 'hash=abc' } });
    expect(tg.status).to.equal(503);
    expect(tg.json).to.deep.equal({ error: 'Telegram authentication is disabled. Configure TELEGRAM_BOT_TOKEN.' });
  });

  it('when a JWT route gets no token, a raw access token or a tampered JWT, then 401 as HAPI', async () => {
    const none = await http(hub.url, 'GET', '/api/audit');
    expect(none.status).to.equal(401);
    expect(none.text).to.equal('{"error":"Missing authorization token"}');
    const raw = await http(hub.url, 'GET', '/api/audit', { token: `${B}:alice` });
    expect(raw.status).to.equal(401);
    expect(raw.text).to.equal('{"error":"Invalid token"}');
    const jwt = (await viaBody(`${B}:alice`)).json.token as string;
    const tampered = await http(hub.url, 'GET', '/api/audit', { token: `${jwt}x` });
    expect(tampered.text).to.equal('{"error":"Invalid token"}');
    const ok = await http(hub.url, 'GET', '/api/audit', { token: jwt });
    expect(ok.status).to.equal(200);
    const query = await http(hub.url, 'GET', `/api/audit?token=${jwt}`);
    expect(query.status, '?token= only on SSE').to.equal(401);
  });
});
