import { expect } from 'chai';
import { pino } from 'pino';
import type { FastifyInstance } from 'fastify';
import { buildHttpApp } from '../../../gateway/app.js';
import { loadGatewayConfig } from '../../../gateway/config.js';
import { AppError } from '../../../lib/errors.js';
import type { Namespace } from '../../../lib/namespace.js';
import type { Authenticator, GatewayDeps, ServiceClients } from '../../../gateway/deps.js';

type Call = (method: string, req: unknown, scope: unknown) => Promise<unknown>;

function fakeDeps(calls: { machine?: Call; auth?: Call; resolve?: (t: string) => Promise<Namespace> }, logTo?: { env: Record<string, string>; lines: Array<Record<string, any>> }): GatewayDeps {
  const client = (fn?: Call) => ({ call: fn ?? (async () => ({})), close: () => {} });
  const auth: Authenticator = {
    resolveAccessToken: calls.resolve ?? (async (t) => (t.endsWith(':alice') ? ('alice' as Namespace) : Promise.reject(new AppError('unauthenticated', 'Invalid token')))),
    verifyWebToken: async () => Promise.reject(new AppError('unauthenticated', 'Invalid token')),
    checkAdminToken: async () => Promise.reject(new AppError('permission_denied', 'Admin token required')),
    close: async () => {},
  };
  return {
    cfg: loadGatewayConfig({ TEAMHUB_INTERNAL_SECRET: 'a-strong-internal-secret', CORS_ORIGINS: 'http://ok.test', TEAMHUB_MAX_BODY_BYTES: '2048', ...logTo?.env }),
    log: logTo ? pino({ level: 'info' }, { write: (l: string) => void logTo.lines.push(JSON.parse(l)) }) : pino({ level: 'silent' }),
    clients: { auth: client(calls.auth), session: client(), machine: client(calls.machine) } as unknown as ServiceClients,
    nc: {} as GatewayDeps['nc'],
    auth,
    replicaId: 'test',
  };
}

describe('gateway HTTP app (fake services)', () => {
  let app: FastifyInstance;
  afterEach(async () => app?.close());

  it('when the gateway logs at info, then requests are not logged by default, and are with TEAMHUB_REQUEST_LOG_LEVEL=info', async () => {
    const quiet = { env: {}, lines: [] as Array<Record<string, any>> };
    app = await buildHttpApp(fakeDeps({ machine: async () => Promise.reject(new AppError('not_found', 'Machine not found')) }, quiet));
    expect((await app.inject({ method: 'GET', url: '/cli/machines/x', headers: { authorization: 'Bearer b:alice' } })).statusCode).to.equal(404);
    expect(quiet.lines.filter((l) => /request/.test(l.msg))).to.deep.equal([]);
    await app.close();

    const loud = { env: { TEAMHUB_REQUEST_LOG_LEVEL: 'info' }, lines: [] as Array<Record<string, any>> };
    app = await buildHttpApp(fakeDeps({ machine: async () => Promise.reject(new AppError('not_found', 'Machine not found')) }, loud));
    expect((await app.inject({ method: 'GET', url: '/cli/machines/x', headers: { authorization: 'Bearer b:alice' }, remoteAddress: '10.0.0.7' })).statusCode).to.equal(404);
    const [incoming, completed, ...rest] = loud.lines.filter((l) => /request/.test(l.msg))
    expect(rest).to.deep.equal([]);
    expect(incoming).to.deep.include({ level: 30, msg: 'incoming request' });
    expect(incoming!.req).to.include({ method: 'GET', url: '/cli/machines/x', remoteAddress: '10.0.0.7' });
    expect(completed).to.deep.include({ level: 30, msg: 'request completed', res: { statusCode: 404 } });
    expect(completed!.responseTime).to.be.a('number');
    expect(completed!.reqId).to.equal(incoming!.reqId);
    // The bearer token is in no request line.
    expect(JSON.stringify(loud.lines)).to.not.include('b:alice');
  });

  it('when a service throws a non-AppError, then 500 Internal error without internals', async () => {
    app = await buildHttpApp(fakeDeps({ machine: async () => Promise.reject(new Error('db password is hunter2')) }));
    const r = await app.inject({ method: 'GET', url: '/cli/machines/x', headers: { authorization: 'Bearer b:alice' } });
    expect(r.statusCode).to.equal(500);
    expect(r.body).to.equal('{"error":"Internal error"}');
    expect(r.headers['x-hapi-protocol-version']).to.equal('1');
  });

  it('when the caller is throttled, then 429 with Retry-After in whole seconds', async () => {
    const resolve = async () => Promise.reject(new AppError('resource_exhausted', 'Too many failed attempts', { details: { retryAfterMs: '1500' } }));
    app = await buildHttpApp(fakeDeps({ resolve }));
    const r = await app.inject({ method: 'GET', url: '/cli/machines/x', headers: { authorization: 'Bearer b:alice' } });
    expect(r.statusCode).to.equal(429);
    expect(r.headers['retry-after']).to.equal('2');
    expect(r.json()).to.deep.equal({ error: 'Too many failed attempts' });
  });

  it('when a service is unavailable, then 503 Service unavailable', async () => {
    app = await buildHttpApp(fakeDeps({ machine: async () => Promise.reject(new AppError('unavailable', 'service unavailable')) }));
    const r = await app.inject({ method: 'GET', url: '/cli/machines/x', headers: { authorization: 'Bearer b:alice' } });
    expect(r.statusCode).to.equal(503);
    expect(r.body).to.equal('{"error":"Service unavailable"}');
  });

  it('when the body exceeds the limit, then 413; when it is JSON with __proto__ or $where, then it reaches the service as data', async () => {
    let seen: unknown;
    app = await buildHttpApp(fakeDeps({ machine: async (_m, req) => ((seen = req), Promise.reject(new AppError('not_found', 'Machine not found'))) }));
    const big = await app.inject({ method: 'POST', url: '/cli/machines', headers: { authorization: 'Bearer b:alice', 'content-type': 'application/json' }, payload: JSON.stringify({ id: 'x', metadata: 'y'.repeat(4096) }) });
    expect(big.statusCode).to.equal(413);
    expect(big.body).to.equal('{"error":"Payload too large"}');
    const raw = '{"id":"m","metadata":{"__proto__":{"x":1},"$where":"1","a.b":2}}';
    await app.inject({ method: 'POST', url: '/cli/machines', headers: { authorization: 'Bearer b:alice', 'content-type': 'application/json' }, payload: raw });
    expect(JSON.parse((seen as { metadataJson: string }).metadataJson)).to.deep.equal(JSON.parse('{"__proto__":{"x":1},"$where":"1","a.b":2}'));
    expect((seen as { metadataJson: string }).metadataJson).to.include('"__proto__"');
  });

  it('when a browser preflights from an allowed or another origin, then CORS follows CORS_ORIGINS', async () => {
    app = await buildHttpApp(fakeDeps({}));
    const ok = await app.inject({ method: 'OPTIONS', url: '/api/auth', headers: { origin: 'http://ok.test', 'access-control-request-method': 'POST' } });
    expect(ok.headers['access-control-allow-origin']).to.equal('http://ok.test');
    const no = await app.inject({ method: 'OPTIONS', url: '/api/auth', headers: { origin: 'http://evil.test', 'access-control-request-method': 'POST' } });
    expect(no.headers['access-control-allow-origin']).to.equal(undefined);
  });

  it('when the admin check fails, then 403 Admin token required; without a header, 401', async () => {
    app = await buildHttpApp(fakeDeps({}));
    expect((await app.inject({ method: 'GET', url: '/admin/v1/namespaces' })).statusCode).to.equal(401);
    const r = await app.inject({ method: 'GET', url: '/admin/v1/namespaces', headers: { authorization: 'Bearer base' } });
    expect(r.statusCode).to.equal(403);
    expect(r.body).to.equal('{"error":"Admin token required"}');
  });
});
