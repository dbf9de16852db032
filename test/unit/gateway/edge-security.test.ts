import { expect } from 'chai';
import { Writable } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { pino } from 'pino';
import type { FastifyInstance } from 'fastify';
import { buildHttpApp } from '../../../gateway/app.js';
import { loadGatewayConfig } from '../../../gateway/config.js';
import { ClientAddressResolver } from '../../../gateway/http/client-address.js';
import { redactUrl } from '../../../gateway/http/request-log.js';
import { ConfigError } from '../../../lib/config.js';
import { AppError } from '../../../lib/errors.js';
import type { Namespace } from '../../../lib/namespace.js';
import type { Authenticator, GatewayDeps, ServiceClients } from '../../../gateway/deps.js';

const SECRET_JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJucyI6ImFsaWNlIn0.c2VjcmV0LXNpZ25hdHVyZQ';
const SECRET_TOKEN = 'base-secret-token-value:alice';
const ADMIN_TOKEN = 'the-hub-admin-token-value';

function deps(env: Record<string, string>, lines: string[], seen: { clientAddr?: string; calls: number }): GatewayDeps {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const auth: Authenticator = {
    resolveAccessToken: async (t) => (t === SECRET_TOKEN ? ('alice' as Namespace) : Promise.reject(new AppError('unauthenticated', 'Invalid token'))),
    verifyWebToken: async () => Promise.reject(new AppError('unauthenticated', 'Invalid token')),
    checkAdminToken: async (t) => (t === ADMIN_TOKEN ? undefined : Promise.reject(new AppError('permission_denied', 'Admin token required'))),
    close: async () => {},
  };
  const client = {
    call: async (_m: string, req: { clientAddr?: string }) => {
      seen.calls++;
      seen.clientAddr = req.clientAddr;
      throw new AppError('unauthenticated', 'Invalid access token');
    },
    close: () => {},
  };
  return {
    cfg: loadGatewayConfig({ TEAMHUB_INTERNAL_SECRET: 'a-strong-internal-secret', TEAMHUB_MAX_BODY_BYTES: String(1024 * 1024), TEAMHUB_PREAUTH_BODY_BYTES: '4096', ...env }),
    log: pino({ level: 'info' }, sink),
    clients: { auth: client, session: client, machine: client } as unknown as ServiceClients,
    nc: {} as GatewayDeps['nc'],
    auth,
    replicaId: 'test',
  };
}

describe('gateway edge: no secret in a log line', () => {
  let app: FastifyInstance;
  afterEach(async () => app?.close());

  it('when a URL carries a token, ticket or jwt, then the logged form has the value redacted and keeps the rest', () => {
    expect(redactUrl(`/api/events?token=${SECRET_JWT}&all=true`)).to.equal('/api/events?token=[redacted]&all=true');
    expect(redactUrl(`/?token=${encodeURIComponent(SECRET_TOKEN)}`)).to.equal('/?token=[redacted]');
    expect(redactUrl('/api/events?all=1&TOKEN=x&ticket=y&jwt=z&access_token=w')).to.equal('/api/events?all=1&TOKEN=[redacted]&ticket=[redacted]&jwt=[redacted]&access_token=[redacted]');
    expect(redactUrl('/api/events?%74oken=x')).to.equal('/api/events?%74oken=[redacted]');
    expect(redactUrl('/api/sessions')).to.equal('/api/sessions');
  });

  it('when requests carry tokens in the URL and headers, then no log line holds them (request lines, not-found lines)', async () => {
    const lines: string[] = [];
    // Request lines are debug by default: logged at info here, so there is something to scan.
    app = await buildHttpApp(deps({ TEAMHUB_REQUEST_LOG_LEVEL: 'info' }, lines, { calls: 0 }));
    await app.inject({ method: 'GET', url: `/api/events?token=${SECRET_JWT}&all=true` });
    await app.inject({ method: 'GET', url: `/?token=${encodeURIComponent(SECRET_TOKEN)}` });
    await app.inject({ method: 'GET', url: '/cli/machines/m1', headers: { authorization: `Bearer ${SECRET_TOKEN}` } });
    const text = lines.join('\n');
    expect(text).to.include('incoming request');
    expect(text).to.include('token=[redacted]');
    for (const secret of [SECRET_JWT, SECRET_TOKEN, encodeURIComponent(SECRET_TOKEN), 'base-secret-token-value']) expect(text).to.not.include(secret);
  });
});

describe('gateway edge: bodies before authentication', () => {
  let app: FastifyInstance;
  afterEach(async () => app?.close());
  const big = JSON.stringify({ id: 'm', metadata: 'y'.repeat(20_000) });

  it('when a large body comes without a valid credential, then 401 before it is read, and the connection is closed', async () => {
    const seen = { calls: 0 };
    app = await buildHttpApp(deps({}, [], seen));
    const none = await app.inject({ method: 'POST', url: '/cli/machines', headers: { 'content-type': 'application/json' }, payload: big });
    expect(none.statusCode).to.equal(401);
    expect(none.json()).to.deep.equal({ error: 'Missing Authorization header' });
    expect(none.headers.connection).to.equal('close');
    const wrong = await app.inject({ method: 'POST', url: '/cli/machines', headers: { 'content-type': 'application/json', authorization: 'Bearer nope:alice' }, payload: big });
    expect(wrong.statusCode).to.equal(401);
    expect(wrong.json()).to.deep.equal({ error: 'Invalid token' });
    const web = await app.inject({ method: 'POST', url: '/api/sessions/s1/messages', headers: { 'content-type': 'application/json', authorization: 'Bearer not-a-jwt' }, payload: big });
    expect(web.statusCode).to.equal(401);
    expect(seen.calls).to.equal(0);
  });

  it('when a login or an unknown path gets a large body, then 413; a small login body still reaches the auth service', async () => {
    const seen = { calls: 0 };
    app = await buildHttpApp(deps({}, [], seen));
    const login = await app.inject({ method: 'POST', url: '/api/auth', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ accessToken: 'x'.repeat(10_000) }) });
    expect(login.statusCode).to.equal(413);
    expect(login.json()).to.deep.equal({ error: 'Payload too large' });
    expect(seen.calls).to.equal(0);
    const small = await app.inject({ method: 'POST', url: '/api/auth', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ accessToken: 'x' }) });
    expect(small.statusCode).to.equal(401);
    expect(seen.calls).to.equal(1);
  });

  it('when the credential holds, then a large body is read and reaches the service', async () => {
    const seen = { calls: 0 };
    app = await buildHttpApp(deps({}, [], seen));
    const r = await app.inject({ method: 'POST', url: '/cli/machines', headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRET_TOKEN}` }, payload: big });
    expect(seen.calls).to.equal(1);
    expect(r.statusCode).to.equal(401); // the fake machine service refuses; what matters is that it was asked
  });

  it('when a hub-level route gets a large body, then the admin token has it read (the route answers), another token gets 403 unread', async () => {
    const seen = { calls: 0 };
    app = await buildHttpApp(deps({}, [], seen));
    const put = (authorization: string) => app.inject({ method: 'PUT', url: '/api/hub-settings', headers: { 'content-type': 'application/json', authorization }, payload: big });
    const admin = await put(`Bearer ${ADMIN_TOKEN}`);
    // Read and checked by the route: not HubSettings, so its 400, not a refusal before the body.
    expect([admin.statusCode, admin.json()]).to.deep.equal([400, { error: 'Invalid body' }]);
    const wrong = await put('Bearer not-the-admin-token');
    expect([wrong.statusCode, wrong.json()]).to.deep.equal([403, { error: 'Admin token required' }]);
    expect(wrong.headers.connection).to.equal('close');
    const jwt = await put('Bearer a.b.c');
    expect(jwt.statusCode).to.equal(401);
    expect(seen.calls).to.equal(0);
  });
});

describe('gateway edge: large admin bodies and bodies above a route\'s limit', () => {
  let app: FastifyInstance;
  afterEach(async () => app?.close());
  const ADMIN = 'the-admin-token-for-this-test';
  const page = JSON.stringify({ namespace: 'alice', sessionId: 's1', messages: [{ id: 'm1', seq: 1, createdAt: 1, contentJson: 'x'.repeat(20_000) }], unexpected: true });

  function adminDeps(asked: string[]): GatewayDeps {
    const d = deps({}, [], { calls: 0 });
    d.auth = {
      ...d.auth,
      resolveAccessToken: async (t) => {
        asked.push('access');
        return t === SECRET_TOKEN ? ('alice' as Namespace) : Promise.reject(new AppError('unauthenticated', 'Invalid token'));
      },
      checkAdminToken: async (t, _addr, action) => {
        asked.push(`admin:${action}`);
        if (t !== ADMIN) throw new AppError('permission_denied', 'Admin token required');
      },
    };
    return d;
  }

  it('when an import page larger than the pre-auth limit comes with the admin token, then it is read; with another token, 403 before it is read', async () => {
    const asked: string[] = [];
    app = await buildHttpApp(adminDeps(asked));
    const wrong = await app.inject({ method: 'POST', url: '/admin/v1/import/messages', headers: { 'content-type': 'application/json', authorization: 'Bearer base-secret-token-value' }, payload: page });
    expect(wrong.statusCode).to.equal(403);
    expect(wrong.json()).to.deep.equal({ error: 'Admin token required' });
    expect(wrong.headers.connection).to.equal('close');
    expect(asked).to.deep.equal(['admin:send-large-body']);
    // Read and parsed: the route's own schema answers (an unknown key is fine, a message without
    // its fields is not), not the pre-auth 413.
    const admin = await app.inject({ method: 'POST', url: '/admin/v1/import/messages', headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN}` }, payload: page });
    expect(admin.statusCode, admin.body).to.not.equal(413);
    expect(asked).to.include('admin:import');
  });

  it('when a body is declared larger than the route takes, then 413 whoever asks, without asking the auth service', async () => {
    const asked: string[] = [];
    app = await buildHttpApp(adminDeps(asked));
    const huge = JSON.stringify({ id: 'm', metadata: 'z'.repeat(1024 * 1024 + 10) });
    const r = await app.inject({ method: 'POST', url: '/cli/machines', headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRET_TOKEN}` }, payload: huge });
    expect(r.statusCode).to.equal(413);
    expect(r.json()).to.deep.equal({ error: 'Payload too large' });
    expect(asked).to.deep.equal([]);
  });
});

describe('gateway edge: the client address behind proxies', () => {
  let app: FastifyInstance;
  afterEach(async () => app?.close());

  const addrFor = async (env: Record<string, string>, xff: string | undefined): Promise<string | undefined> => {
    const seen: { clientAddr?: string; calls: number } = { calls: 0 };
    app = await buildHttpApp(deps(env, [], seen));
    await app.inject({ method: 'POST', url: '/api/auth', remoteAddress: '127.0.0.1', headers: { 'content-type': 'application/json', ...(xff ? { 'x-forwarded-for': xff } : {}) }, payload: '{"accessToken":"x"}' });
    await app.close();
    return seen.clientAddr;
  };

  it('when no proxy is trusted, then X-Forwarded-For is ignored', async () => {
    expect(await addrFor({}, '9.9.9.9')).to.equal('127.0.0.1');
  });

  it('when the proxy is trusted, then the client is the rightmost hop that is not a trusted proxy (a spoofed leftmost entry is ignored)', async () => {
    expect(await addrFor({ TEAMHUB_TRUST_PROXY: '127.0.0.1' }, '9.9.9.9, 203.0.113.5')).to.equal('203.0.113.5');
    expect(await addrFor({ TEAMHUB_TRUST_PROXY: '127.0.0.1, 10.0.0.0/8' }, '9.9.9.9, 203.0.113.5, 10.1.2.3')).to.equal('203.0.113.5');
    // `true` means the private ranges, never every hop.
    expect(await addrFor({ TEAMHUB_TRUST_PROXY: 'true' }, '9.9.9.9, 203.0.113.5')).to.equal('203.0.113.5');
  });

  it('when the socket handshake is behind the same proxies, then its address is computed the same way', () => {
    const req = (xff?: string) => ({ headers: xff ? { 'x-forwarded-for': xff } : {}, socket: { remoteAddress: '127.0.0.1' }, connection: { remoteAddress: '127.0.0.1' } }) as unknown as IncomingMessage;
    expect(new ClientAddressResolver([]).of(req('9.9.9.9'))).to.equal('127.0.0.1');
    expect(new ClientAddressResolver(['127.0.0.1']).of(req('9.9.9.9, 203.0.113.5'))).to.equal('203.0.113.5');
    expect(new ClientAddressResolver(['loopback', 'uniquelocal']).of(req('2001:db8::1, 10.0.0.9'))).to.equal('2001:db8::1');
  });

  it('when TEAMHUB_TRUST_PROXY names something that is not an address, a CIDR or a range name, then the config is refused', () => {
    let err: unknown;
    try {
      loadGatewayConfig({ TEAMHUB_INTERNAL_SECRET: 'a-strong-internal-secret', TEAMHUB_TRUST_PROXY: '10.0.0.1, proxy.example' });
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(ConfigError);
    expect((err as ConfigError).message).to.include('TEAMHUB_TRUST_PROXY entry "proxy.example" is not an address, a CIDR or one of loopback, linklocal, uniquelocal');
  });
});
