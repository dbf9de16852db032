import { expect } from 'chai';
import { pino } from 'pino';
import Fastify, { type FastifyInstance } from 'fastify';
import { installJsonParser } from '../../../gateway/http/body-parser.js';
import { installErrorHandler } from '../../../gateway/http/errors.js';
import { jsonBodyOrNull, withLenientJson } from '../../../gateway/http/lenient-json.js';
import { buildHttpApp } from '../../../gateway/app.js';
import { loadGatewayConfig } from '../../../gateway/config.js';
import { AppError } from '../../../lib/errors.js';
import type { Namespace } from '../../../lib/namespace.js';
import type { Authenticator, GatewayDeps, ServiceClients } from '../../../gateway/deps.js';

/** What the fake services were asked: [service, method, request]. */
type Seen = Array<[string, string, unknown]>;

function deps(seen: Seen, answer: (svc: string, method: string) => unknown = () => ({})): GatewayDeps {
  const client = (svc: string) => ({
    call: async (method: string, req: unknown) => {
      seen.push([svc, method, req]);
      const a = answer(svc, method);
      if (a instanceof Error) throw a;
      return a;
    },
    close: () => {},
  });
  const auth: Authenticator = {
    resolveAccessToken: async (t) => (t.endsWith(':alice') ? ('alice' as Namespace) : Promise.reject(new AppError('unauthenticated', 'Invalid token'))),
    verifyWebToken: async () => Promise.reject(new AppError('unauthenticated', 'Invalid token')),
    checkAdminToken: async () => Promise.reject(new AppError('permission_denied', 'Admin token required')),
    close: async () => {},
  };
  return {
    cfg: loadGatewayConfig({ TEAMHUB_INTERNAL_SECRET: 'a-strong-internal-secret', TEAMHUB_MAX_JSON_DEPTH: '20' }),
    log: pino({ level: 'silent' }),
    clients: { auth: client('auth'), session: client('session'), machine: client('machine') } as unknown as ServiceClients,
    nc: {} as GatewayDeps['nc'],
    auth,
    replicaId: 'test',
  };
}

const nested = (n: number) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;
const cli = { authorization: 'Bearer base:alice', 'content-type': 'application/json' };

describe('gateway edge: JSON depth bound, 503 Retry-After, one decoding of credentials (fake services)', () => {
  let app: FastifyInstance;
  afterEach(async () => app?.close());

  it('when a route that reads its body leniently (as HAPI does) gets such a body, then the same 400 with the configured bound, before the route runs', async () => {
    // The lenient routes (fork, resume, the OpenCode clear steps…) are live routes; their parser is tested on its own app.
    app = Fastify();
    installErrorHandler(app);
    installJsonParser(app, 20);
    let ran = 0;
    withLenientJson(app, (scoped) => {
      scoped.post('/lenient', async (request) => ((ran += 1), { body: jsonBodyOrNull(request) }));
    });
    for (const payload of [nested(25), nested(100_000)]) {
      const r = await app.inject({ method: 'POST', url: '/lenient', headers: { 'content-type': 'text/plain' }, payload });
      expect(r.statusCode).to.equal(400);
      expect(r.json()).to.deep.equal({ error: 'Invalid body: JSON nested deeper than 20 levels' });
    }
    expect(ran).to.equal(0);
    // Within the bound, and text that is not JSON, still reach the route as HAPI's would.
    expect((await app.inject({ method: 'POST', url: '/lenient', payload: nested(19), headers: { 'content-type': 'application/json' } })).statusCode).to.equal(200);
    expect((await app.inject({ method: 'POST', url: '/lenient', payload: '{nope', headers: { 'content-type': 'application/json' } })).json()).to.deep.equal({ body: null });
    expect(ran).to.equal(2);
  });

  it('when a body nests deeper than TEAMHUB_MAX_JSON_DEPTH in any document, then 400 says so and no service is called', async () => {
    const seen: Seen = [];
    app = await buildHttpApp(deps(seen));
    const cases = [
      { url: '/cli/sessions', payload: `{"tag":"t","metadata":${nested(100_000)}}` },
      { url: '/cli/sessions', payload: `{"tag":"t","metadata":{},"agentState":${nested(25)}}` },
      { url: '/cli/machines', payload: `{"id":"m","metadata":{},"runnerState":${nested(100_000)}}` },
    ];
    for (const c of cases) {
      const r = await app.inject({ method: 'POST', url: c.url, headers: cli, payload: c.payload });
      expect(r.statusCode, c.payload.slice(0, 60)).to.equal(400);
      expect(r.json()).to.deep.equal({ error: 'Invalid body: JSON nested deeper than 20 levels' });
    }
    expect(seen).to.deep.equal([]);
    // At the bound it passes: 19 levels of metadata inside the 1 of the body.
    const ok = await app.inject({ method: 'POST', url: '/cli/machines', headers: cli, payload: `{"id":"m","metadata":${nested(19)}}` });
    expect(ok.statusCode).to.not.equal(400);
    expect(seen.map(([s, m]) => `${s}.${m}`)).to.deep.equal(['machine.registerMachine']);
  });

  it('when a service is unavailable, then 503 Service unavailable carries Retry-After: 1', async () => {
    app = await buildHttpApp(deps([], () => new AppError('unavailable', 'service unavailable')));
    const r = await app.inject({ method: 'GET', url: '/cli/machines/x', headers: cli });
    expect(r.statusCode).to.equal(503);
    expect(r.headers['retry-after']).to.equal('1');
    expect(r.body).to.equal('{"error":"Service unavailable"}');
  });

  it('when a service hangs past the deadline, then 504 Deadline exceeded, with no transport detail', async () => {
    app = await buildHttpApp(deps([], () => new AppError('deadline_exceeded', 'Deadline exceeded')));
    const r = await app.inject({ method: 'GET', url: '/cli/machines/x', headers: cli });
    expect(r.statusCode).to.equal(504);
    expect(r.body).to.equal('{"error":"Deadline exceeded"}');
  });

  it('when an access token holds a lone surrogate, in a login body or as raw bytes in a header, then both are refused as an invalid token and auth is never asked', async () => {
    const seen: Seen = [];
    app = await buildHttpApp(deps(seen));
    const login = await app.inject({ method: 'POST', url: '/api/auth', headers: { 'content-type': 'application/json' }, payload: '{"accessToken":"base:a\\ud800"}' });
    expect(login.statusCode).to.equal(401);
    expect(login.json()).to.deep.equal({ error: 'Invalid access token' });
    const bind = await app.inject({ method: 'POST', url: '/api/bind', headers: { 'content-type': 'application/json' }, payload: '{"accessToken":"base:a\\ud800","initData":"x"}' });
    expect(bind.statusCode).to.equal(401);
    // The same credential as bytes: `a` then the surrogate's three-byte (invalid UTF-8) form.
    const header = Buffer.concat([Buffer.from('Bearer base:a'), Buffer.from([0xed, 0xa0, 0x80])]).toString('latin1');
    const viaHeader = await app.inject({ method: 'GET', url: '/cli/machines/x', headers: { authorization: header } });
    expect(viaHeader.statusCode).to.equal(401);
    expect(viaHeader.json()).to.deep.equal({ error: 'Invalid token' });
    expect(seen).to.deep.equal([]);
  });
});
