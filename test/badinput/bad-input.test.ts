import { isDeepStrictEqual } from 'node:util';
import { expect } from 'chai';
import { z } from 'zod';
import { ApiAuthBody, ApiBindBody, ApiUnbindBody, CliMachineBody, CliMessagesQuery, CliSessionBody } from '../../gateway/hapi/schemas.js';
import { http, startHub, webToken, type Hub } from '../helpers/hub-harness.js';
import { childrenOf } from '../helpers/local-hub.js';
import { HAPI_ROUTES } from '../surface/hapi-routes.js';
import { CLI_HANDLED_EVENTS } from '../surface/hapi-socket-events.js';
import { routeId, type RouteSpec } from '../surface/routes/types.js';
import type { SurfaceHub } from '../surface/surface-hub.js';
import { World, type Call } from '../surface/world.js';
import { httpCases, type CasePlane, type HttpCase, type RouteTarget } from './http-cases.js';
import { rawHttp, type RawAnswer } from './raw-http.js';
import { connectRawCli } from './raw-socket.js';
import { handshakeCases, KNOWN_ERROR_CODES, sendSocketCase, socketEventCases, type SocketFixtures } from './socket-cases.js';
import { TEAMHUB_ROUTES, type TeamhubRoute } from './teamhub-routes.js';

/** The gateway's own schema for a HAPI route's body or query, where it has one (gateway/hapi/schemas.ts). */
const GATEWAY_SCHEMAS: Record<string, { body?: z.ZodType; query?: z.ZodType }> = {
  'POST /cli/sessions': { body: CliSessionBody },
  'POST /cli/machines': { body: CliMachineBody },
  'GET /cli/sessions/:id/messages': { query: CliMessagesQuery },
  'POST /api/auth': { body: ApiAuthBody },
  'POST /api/bind': { body: ApiBindBody },
  'POST /api/unbind': { body: ApiUnbindBody },
};

const MAX_BODY_BYTES = 8 * 1024 * 1024;
/** The gateway's default TEAMHUB_PREAUTH_BODY_BYTES: the largest socket frame before a handshake authenticates. */
const PRE_AUTH_FRAME_BYTES = 64 * 1024;
/** Internals an error body must never carry: grpc-js texts, errno codes, stack frames. */
const INTERNALS = /remote_addr|ECONNREFUSED|ECONNRESET|grpc|\bat [\w.<>]+ \(|node:internal/i;

/** Is this an answer the route is not served at all (the page's API 404 or Fastify's unknown route)? */
function notServed(a: Pick<RawAnswer, 'status' | 'json'>): boolean {
  const j = a.json as { error?: string; message?: string } | undefined;
  return a.status === 404 && (j?.error === 'Not found' || /^Route \S+ not found$/.test(j?.message ?? ''));
}

function matchesBody(expected: unknown, actual: unknown): boolean {
  return expected instanceof z.ZodType ? expected.safeParse(actual).success : isDeepStrictEqual(expected, actual);
}

/** What is wrong with an answer to a case, or null when it is a clean one. */
function judge(c: HttpCase, a: RawAnswer, t: RouteTarget): string | null {
  const shown = `${a.status} ${a.stream ? '(SSE stream)' : a.text.slice(0, 160)}`;
  // An answer HAPI's table declares for the route is clean whatever its shape (a 503 of a feature
  // configured off, migrate's 409 `{ok:false, reason}`).
  const declared = t.declared.some((d) => d.status === a.status && matchesBody(d.body, a.json));
  if (a.status >= 500 && !declared) return `a ${a.status}: ${shown}`;
  if (a.status >= 400 && !declared) {
    const j = a.json as { error?: unknown } | undefined;
    if (typeof j !== 'object' || j === null || typeof j.error !== 'string') return `an error that is not a JSON {error}: ${shown}`;
  }
  // An error body only: a success may name gRPC legitimately (the /metrics exposition's series).
  if (a.status >= 400 && INTERNALS.test(a.text)) return `internals in the body: ${shown}`;
  if (c.status !== undefined && a.status !== c.status) return `expected ${c.status}, got ${shown}`;
  // HAPI answers some unknown ids with a 200 that says so (`{status:'not-found'}`); its table says which, and teamhub follows.
  const refusedAsHapiDoes = (c.refusedAlsoBy ?? []).some((d) => d.status === a.status && matchesBody(d.body, a.json));
  if (c.expect === 'refused' && !(a.status >= 400 && a.status < 500) && !refusedAsHapiDoes) return `expected a 4xx refusal, got ${shown}`;
  return null;
}

/**
 * The bad-input tier: several thousand malformed requests, generated from the route tables
 * rather than written by hand. HAPI's surface tables (test/surface/: every route with a valid
 * request and its answers, every socket event with its payload schema) and the gateway's own zod
 * request schemas are the sources; each valid request is mutated field by field (wrong types,
 * missing and extra keys, huge and deeply nested values, control and non-ASCII characters, lone
 * surrogates, operator-looking keys), as a whole (invalid JSON and UTF-8, other content types,
 * oversized), in its query, path ids (another namespace's, unknown, malformed) and credentials;
 * the socket handshake and every `/cli` event likewise. Each must be answered with a 4xx JSON
 * error (or a socket error ack / a clean refusal), never a 5xx, internals or a hang; afterwards
 * every process still runs and earlier data is unchanged. The closing line says how many ran.
 */
describe('bad input: generated malformed requests on every route, handshake and socket event', function () {
  this.timeout(180_000);
  let hub: Hub;
  let w: World;
  const counts = { http: 0, httpRoutes: 0, notServed: [] as string[], needsUnserved: [] as string[], handshakes: 0, socketEvents: 0 };
  /** The requests the world made that teamhub does not serve (yet), since the last clear. */
  const unservedSeen = new Set<string>();
  let pidsBefore: Map<string, number>;
  let fixtures: SocketFixtures;
  let snapshotBefore = '';
  let adminToken = '';

  /** Alice's witness data and bob's, which no case may change: read back as one text. */
  let snapshot: () => Promise<string>;

  before(async function () {
    this.timeout(180_000);
    hub = await startHub();
    adminToken = hub.adminToken;
    const surfaceHub: SurfaceHub = { kind: 'teamhub', url: hub.url, baseToken: hub.baseToken, adminToken: hub.adminToken, output: () => hub.output('gateway0'), stop: () => hub.stop() };
    w = await World.create(surfaceHub);
    // A route's valid request is built through other routes (post a message, have it invoked);
    // the world's requests are watched so a setup that needs a route teamhub does not serve yet
    // is told apart from a failure of the route under test.
    const request = w.request.bind(w);
    w.request = async (plane, method, path, call) => {
      const answer = await request(plane, method, path, call);
      if (notServed(answer)) unservedSeen.add(`${method} ${path.replace(/[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}/g, ':id')}`);
      return answer;
    };
    const witness = await w.session('badinput-witness', { live: false, machine: 'none', metadata: { name: 'witness', $where: 'kept as data' } });
    await w.request('web', 'POST', `/api/sessions/${witness.id}/messages`, { body: { text: 'written before any bad input', localId: 'witness-1' } });
    const witnessMachine = await w.registeredMachine('badinput-witness');
    const bobSession = await w.session('badinput-bob', { who: 'bob', live: false, machine: 'none' });
    const bobMachine = await w.registeredMachine('badinput-bob', 'bob');
    snapshot = async () => {
      const reads = [
        ['alice', `/cli/sessions/${witness.id}`],
        ['alice', `/cli/sessions/${witness.id}/messages?afterSeq=0&limit=200`],
        ['alice', `/cli/machines/${witnessMachine.id}`],
        ['bob', `/cli/sessions/${bobSession.id}`],
        ['bob', `/cli/sessions/${bobSession.id}/messages?afterSeq=0&limit=200`],
        ['bob', `/cli/machines/${bobMachine.id}`],
      ] as const;
      const parts = [];
      for (const [who, path] of reads) parts.push((await http(hub.url, 'GET', path, { token: w.cliToken(who) })).text);
      return parts.join('\n');
    };
    snapshotBefore = await snapshot();
    // The CLI's own session and machine for the socket cases, with their stand-ins.
    const own = await w.session('badinput-socket');
    const machine = await w.machine();
    fixtures = {
      own: {
        sid: own.id,
        sessionId: own.id,
        machineId: machine.id,
        expectedVersion: 0,
        time: Date.now(),
        localId: 'badinput-local',
        localIds: ['badinput-local'],
        message: { role: 'agent', content: { type: 'text', text: 'from the bad-input tier' } },
        metadata: { host: 'badinput-host', platform: 'linux', happyCliVersion: '0.30.7', path: '/srv/badinput' },
        runnerState: { status: 'running' },
        agentState: { controlledByUser: false },
        method: `${own.id}:bash`,
        terminalId: 'badinput-terminal',
      },
      foreign: { sid: bobSession.id, sessionId: bobSession.id, machineId: bobMachine.id },
    };
    pidsBefore = new Map([...childrenOf(process.pid)].map(([name, c]) => [name, c.pid]));
  });

  after(() => {
    const total = counts.http + counts.handshakes + counts.socketEvents;
    process.stdout.write(
      `\n  bad-input tier: ${total} cases ran: ${counts.http} HTTP requests on ${counts.httpRoutes} routes teamhub serves, ` +
        `${counts.handshakes} socket handshakes, ${counts.socketEvents} socket events` +
        `${counts.notServed.length ? `; ${counts.notServed.length} HAPI routes not served yet answered a JSON 404` : ''}` +
        `${counts.needsUnserved.length ? `; not run, their valid request needs a route not served yet: ${counts.needsUnserved.join('; ')}` : ''}\n\n`,
    );
  });
  after(async () => hub?.stop());

  /** A route's valid request as a mutable target. */
  async function targetOf(id: string, method: string, path: string, plane: CasePlane, call: Call, extra: Partial<RouteTarget>): Promise<RouteTarget> {
    const who = call.who ?? 'alice';
    const credential = plane === 'cli' ? w.cliToken(who) : plane === 'web' ? w.jwt(who) : plane === 'admin' ? adminToken : undefined;
    const foreignIds: Record<string, string> = {};
    for (const p of plane === 'admin' ? [] : Object.keys(call.params ?? {})) {
      // `:id` names what the segment before it says (`/sessions/:id`, `/machines/:id`).
      const before = path.split(`:${p}`)[0] ?? '';
      if (p === 'sessionId' || (p === 'id' && before.endsWith('/sessions/'))) foreignIds[p] = fixtures.foreign.sid!;
      if (p === 'machineId' || (p === 'id' && before.endsWith('/machines/'))) foreignIds[p] = fixtures.foreign.machineId!;
    }
    return { id, method, path, plane, credential, params: call.params ?? {}, query: call.query ?? {}, body: call.body, foreignIds, declared: [], unknownIdAnswers: {}, ...extra };
  }

  /** Runs every case of a route; the test fails listing each unclean answer. */
  async function runRoute(t: RouteTarget): Promise<void> {
    const cases = httpCases(t, MAX_BODY_BYTES);
    const problems: string[] = [];
    for (const c of cases) {
      const answer = await rawHttp(hub.url, c.req).catch((err: Error) => err);
      counts.http += 1;
      const problem = answer instanceof Error ? `no answer: ${answer.message}` : judge(c, answer, t);
      if (problem) problems.push(`${c.what}: ${problem}`);
    }
    counts.httpRoutes += 1;
    expect(problems, `${t.id}: ${problems.length} of ${cases.length} cases answered badly`).to.deep.equal([]);
  }

  /** Sends a route's request with placeholder ids and tells whether teamhub serves it at all. */
  async function served(method: string, path: string): Promise<RawAnswer> {
    const target = path.replace(/:(\w+)/g, 'badinput-probe');
    return rawHttp(hub.url, { method, target, headers: { 'content-type': 'application/json' }, body: method === 'GET' ? undefined : '{}' });
  }

  describe('HTTP: HAPI\'s routes (valid requests from the surface tables, mutated)', () => {
    for (const spec of HAPI_ROUTES) {
      it(`${routeId(spec)}: every mutation of its valid request is refused with a 4xx JSON error or handled, never a 5xx, internals or a hang`, async function () {
        const probe = await served(spec.method, spec.path);
        if (notServed(probe)) {
          // Not served by teamhub yet: the one clean answer is a JSON 404, whatever is sent.
          counts.notServed.push(routeId(spec));
          counts.http += 1;
          expect(probe.json, routeId(spec)).to.have.property('error');
          return;
        }
        unservedSeen.clear();
        let call: Call;
        try {
          call = await spec.call(w);
        } catch (err) {
          if (unservedSeen.size === 0) throw err;
          counts.needsUnserved.push(`${routeId(spec)} (${[...unservedSeen].join(', ')})`);
          return;
        }
        if (call.form) {
          // A multipart route: the mutations are of its credential and declaration only.
          call.body = undefined;
        }
        const schemas = GATEWAY_SCHEMAS[routeId(spec)] ?? {};
        // The answers HAPI gives on purpose (a 5xx of a feature configured off or no machine online, a 409 of its own shape).
        const declared: Array<{ status: number; body: unknown }> = [...spec.errors, { status: spec.ok.status, body: spec.ok.schema }];
        // HAPI's answer to an id that names nothing, where its table marks one (a 200 saying the message was not found).
        const unknownIdAnswers: RouteTarget['unknownIdAnswers'] = {};
        for (const e of spec.errors) if (e.unknownParam) (unknownIdAnswers[e.unknownParam] ??= []).push({ status: e.status, body: e.body });
        const t = await targetOf(routeId(spec), spec.method, spec.path, spec.plane, call, { bodySchema: schemas.body, querySchema: schemas.query, declared, unknownIdAnswers });
        await runRoute(t);
      });
    }
  });

  describe('HTTP: teamhub\'s own routes (valid requests from the gateway\'s zod schemas, mutated)', () => {
    for (const route of TEAMHUB_ROUTES as TeamhubRoute[]) {
      const id = `${route.method} ${route.path}`;
      it(`${id}: every mutation of its valid request is refused with a 4xx JSON error or handled, never a 5xx, internals or a hang`, async () => {
        const call = await route.call(w);
        const t = await targetOf(id, route.method, route.path, route.plane, call, { bodySchema: route.bodySchema, querySchema: route.querySchema });
        if (route.path === '/api/auth/logout') t.credential = await webToken(hub.url, w.cliToken('alice'));
        await runRoute(t);
      });
    }
  });

  describe('Socket.IO /cli', () => {
    it('handshake: a malformed or foreign auth object is refused with "Invalid token" or connects and joins nothing, one over the pre-authentication frame limit is refused as too large; never a hang or a silent close', async () => {
      const problems: string[] = [];
      for (const c of handshakeCases(w.cliToken('alice'), fixtures, PRE_AUTH_FRAME_BYTES)) {
        counts.handshakes += 1;
        const r = await connectRawCli(hub.url, c.auth).catch((err: Error) => err);
        if (r instanceof Error) {
          problems.push(`${c.what}: ${r.message}`);
          continue;
        }
        r.socket.close();
        if (r.closed !== undefined) {
          // A client takes a close as a network fault (it retries, or waits): it is no refusal.
          problems.push(`${c.what}: its connection closed (${r.closed}) with neither a connection nor a refusal`);
          continue;
        }
        if (c.expect === 'connects' && r.refused !== undefined) problems.push(`${c.what}: refused (${r.refused}), expected to connect`);
        if (c.expect !== 'connects' && r.refused !== c.expect.refused) problems.push(`${c.what}: ${r.refused === undefined ? 'connected' : `refused "${r.refused}"`}, expected "${c.expect.refused}"`);
      }
      expect(problems).to.deep.equal([]);
    });

    for (const spec of CLI_HANDLED_EVENTS) {
      it(`${spec.event}: every mutation of a valid payload gets a clean ack or refusal, the socket stays up, never a hang or an internal error`, async () => {
        const sockets = {
          session: await connectRawCli(hub.url, { token: w.cliToken('alice'), clientType: 'session-scoped', sessionId: fixtures.own.sid }),
          machine: await connectRawCli(hub.url, { token: w.cliToken('alice'), clientType: 'machine-scoped', machineId: fixtures.own.machineId }),
        };
        const problems: string[] = [];
        try {
          for (const c of socketEventCases(spec, fixtures)) {
            counts.socketEvents += 1;
            const socket = sockets[c.scope].socket;
            const out = await sendSocketCase(socket, c).catch((err: Error) => err);
            if (out instanceof Error) {
              problems.push(`${c.what}: ${out.message}`);
              continue;
            }
            const ack = out.ack as { result?: string; reason?: string } | undefined;
            if (!out.connected) problems.push(`${c.what}: the socket was disconnected`);
            if (ack?.reason === 'internal') problems.push(`${c.what}: acked as an internal error ${JSON.stringify(ack)}`);
            const strange = out.errors.filter((e) => !KNOWN_ERROR_CODES.has(String(e.code)));
            if (strange.length) problems.push(`${c.what}: error events ${JSON.stringify(strange).slice(0, 200)}`);
            if (c.expect === 'refused') {
              const refusedByAck = c.ack && ack?.result === 'error';
              const refusedByEvent = out.errors.some((e) => e.code === 'invalid');
              if (!refusedByAck && !refusedByEvent) problems.push(`${c.what}: not refused (ack ${JSON.stringify(ack)}, errors ${JSON.stringify(out.errors)})`);
            }
          }
        } finally {
          sockets.session.socket.close();
          sockets.machine.socket.close();
        }
        expect(problems, `${spec.event}: ${problems.length} cases answered badly`).to.deep.equal([]);
      });
    }
  });

  describe('afterwards', () => {
    it('when every case has run, then each process still runs under its first pid and the data written before is unchanged', async () => {
      const now = new Map([...childrenOf(process.pid)].map(([name, c]) => [name, c.pid]));
      expect(Object.fromEntries(now), 'the hub processes (a crash would have changed or removed one)').to.deep.equal(Object.fromEntries(pidsBefore));
      expect((await http(hub.url, 'GET', '/health')).status).to.equal(200);
      expect(await snapshot(), 'alice\'s witness data and bob\'s data, read back').to.equal(snapshotBefore);
    });
  });
});
