import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { pino } from 'pino';
import type { FastifyInstance } from 'fastify';
import { RpcClient } from '../../../lib/grpc/client.js';
import { buildGrpcServer, type BuiltServer } from '../../../lib/grpc/server.js';
import { NotifyServiceService } from '../../../lib/gen/teamhub/notify/v1/notify.js';
import { AuthServiceService } from '../../../lib/gen/teamhub/auth/v1/auth.js';
import { ScratchlistServiceService } from '../../../lib/gen/teamhub/session/v1/scratchlist.js';
import { SessionServiceService } from '../../../lib/gen/teamhub/session/v1/session.js';
import { MachineServiceService } from '../../../lib/gen/teamhub/machine/v1/machine.js';
import { startTestPipeline } from '../../helpers/event-pipeline.js';
import { SUBJECT_ROOT } from '../../../lib/nats/subjects.js';
import { startTracing, type Tracing } from '../../../lib/tracing/setup.js';
import { loadTracingConfig } from '../../../lib/tracing/config.js';
import { REQUEST_ID_ATTRIBUTE } from '../../../lib/tracing/tracer.js';
import { resolveSecrets } from '../../../services/auth/secrets.js';
import { NatsRevocationSink } from '../../../services/auth/events.js';
import * as auth from '../../../services/auth/server.js';
import { SqliteAuthStore } from '../../../services/auth/store-sqlite.js';
import * as session from '../../../services/session/server.js';
import { SqliteSessionStore } from '../../../services/session/store-sqlite.js';
import * as machine from '../../../services/machine/server.js';
import { SqliteMachineStore } from '../../../services/machine/store-sqlite.js';
import { loadGatewayConfig } from '../../../gateway/config.js';
import { GatewayAuthenticator } from '../../../gateway/http/authenticator.js';
import { buildGateway } from '../../../gateway/app.js';
import type { Live } from '../../../gateway/live/index.js';
import { startNats, type NatsServer } from '../../helpers/nats-server.js';
import { waitFor } from '../../helpers/ports.js';
import { createCliSession, http, webToken } from '../../helpers/hub-harness.js';
import { StandIn } from '../../surface/stand-ins.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const BASE = `base${randomBytes(12).toString('hex')}`;
const INTERNAL = `internal${randomBytes(12).toString('hex')}`;
const APPEND = 'teamhub.session.v1.SessionService/AppendMessage';

/**
 * One trace for a web message, with the SDK's in-memory exporter: the gateway and the auth,
 * session and machine services in this process, talking real gRPC over loopback (so the trace
 * context can only travel in the call metadata) and publishing to a real NATS. The HTTP span,
 * the gateway's client span, the session service's server span and its NATS publish share one
 * trace id, each the child of the one before, and carry the request id.
 */
describe('tracing: one trace from the HTTP edge through gRPC to the NATS publish', function () {
  this.timeout(60_000);
  const exporter = new InMemorySpanExporter();
  let tracing: Tracing;
  let nats: NatsServer;
  let nc: NatsConnection;
  const servers: BuiltServer[] = [];
  const closers: (() => Promise<void> | void)[] = [];
  let app: FastifyInstance;
  let live: Live;
  let url = '';

  async function serve(services: Parameters<typeof buildGrpcServer>[0]['services'], healthName: string): Promise<string> {
    const server = buildGrpcServer({ healthName, internalSecret: INTERNAL, log: pino({ level: 'silent' }), services });
    servers.push(server);
    return `127.0.0.1:${await server.listen('127.0.0.1:0')}`;
  }

  before(async () => {
    const silent = pino({ level: 'silent' });
    // First, as the mains do: the gRPC hooks are chosen when servers and clients are built.
    tracing = await startTracing(loadTracingConfig({}, 'test'), silent, { spanProcessors: [new SimpleSpanProcessor(exporter)] });
    nats = await startNats();
    nc = await connect({ servers: nats.url });
    const pipelineOf = async (outbox: Parameters<typeof startTestPipeline>[1]) => {
      const p = await startTestPipeline(nc, outbox);
      closers.push(() => p.close());
      return p;
    };
    const authStore = await SqliteAuthStore.open(':memory:');
    const secrets = await resolveSecrets(
      authStore,
      { envBaseToken: BASE, settingsFile: path.join(HERE, 'no-such-settings.json'), adminTokenOverride: `admin${'x'.repeat(20)}`, internalSecretOverride: INTERNAL, internalSecretFile: undefined, announceSecrets: false },
      silent,
      { stderr: () => {}, stdout: () => {} },
    );
    const authAddr = await serve(
      auth.buildServices({ cfg: { namespaceMode: 'open', failLimit: 1000, failWindowMs: 60_000, trustMs: 0, telegramBotToken: undefined }, store: authStore, secrets, revocations: new NatsRevocationSink(nc, silent), log: silent }),
      auth.HEALTH_NAME,
    );
    const sessionStore = await SqliteSessionStore.open(':memory:');
    const sessionAddr = await serve(session.buildServices({ store: sessionStore, sink: (await pipelineOf(sessionStore.outbox)).sink }), session.HEALTH_NAME);
    const machineStore = await SqliteMachineStore.open(':memory:');
    const machineAddr = await serve(machine.buildServices({ store: machineStore, sink: (await pipelineOf(machineStore.outbox)).sink }), machine.HEALTH_NAME);
    closers.push(() => authStore.close(), () => sessionStore.close(), () => machineStore.close());
    const cfg = loadGatewayConfig({ TEAMHUB_INTERNAL_SECRET: INTERNAL, TEAMHUB_NATS_URL: nats.url, TEAMHUB_AUTH_ADDR: authAddr, TEAMHUB_SESSION_ADDR: sessionAddr, TEAMHUB_MACHINE_ADDR: machineAddr, TEAMHUB_WEB_DIR: path.join(HERE, 'no-such-web') });
    const opts = { internalSecret: INTERNAL };
    const clients = {
      auth: new RpcClient(AuthServiceService, authAddr, opts),
      session: new RpcClient(SessionServiceService, sessionAddr, opts),
      machine: new RpcClient(MachineServiceService, machineAddr, opts),
      // Never called on the traced paths (a client to nowhere: grpc-js connects on first use).
      notify: new RpcClient(NotifyServiceService, '127.0.0.1:9', opts),
      scratchlist: new RpcClient(ScratchlistServiceService, sessionAddr, opts),
    };
    closers.push(() => Object.values(clients).forEach((c) => c.close()));
    const authenticator = new GatewayAuthenticator({ clients, nc, log: silent });
    await authenticator.start();
    closers.push(() => authenticator.close());
    ({ app, live } = await buildGateway({ cfg, log: silent, clients, nc, auth: authenticator, replicaId: 'gw-trace' }));
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });

  after(async () => {
    await live?.close();
    await app?.close();
    for (const close of closers.reverse()) await close();
    for (const s of servers) await s.stop(1000);
    await nc?.close();
    await nats?.stop();
    await tracing?.shutdown();
  });

  it('when alice posts a message, then the HTTP, gRPC client, gRPC server and publish spans form one trace with her request id', async () => {
    const token = `${BASE}:alice`;
    const s = await createCliSession(url, token, 'traced');
    const cli = await StandIn.session(url, token, s.id, { heartbeatMs: 0 });
    try {
      const jwt = await webToken(url, token);
      await waitFor(async () => (await http(url, 'GET', `/api/sessions/${s.id}`, { token: jwt })).json?.session?.active === true, { timeoutMs: 5000, what: 'active' });
      const published = nc.subscribe(`${SUBJECT_ROOT}.*.message.>`, { max: 1 });
      exporter.reset();
      const requestId = `trace-${randomBytes(4).toString('hex')}`;
      const r = await http(url, 'POST', `/api/sessions/${s.id}/messages`, { token: jwt, body: { text: 'hi', localId: 'traced-1' }, headers: { 'x-request-id': requestId } });
      expect(r.status, r.text).to.equal(200);
      const msg = await (async () => {
        for await (const m of published) return m;
        throw new Error('no event');
      })();
      await cli.waitUpdate('new-message');

      const spans = await waitFor(() => {
        const all = exporter.getFinishedSpans();
        return all.some((x) => x.name === 'POST /api/sessions/:id/messages') && all.some((x) => x.name.startsWith('publish message')) ? all : null;
      }, { what: 'the spans of the post' });
      const one = (pred: (x: ReadableSpan) => boolean, what: string) => {
        const found = spans.filter(pred);
        expect(found, `${what} in ${spans.map((x) => x.name).join(', ')}`).to.have.length(1);
        return found[0]!;
      };
      const edge = one((x) => x.name === 'POST /api/sessions/:id/messages', 'the HTTP span');
      const clientSpan = one((x) => x.name === APPEND && x.kind === 2 /* CLIENT */, 'the gateway client span');
      const serverSpan = one((x) => x.name === APPEND && x.kind === 1 /* SERVER */, 'the session server span');
      const publish = one((x) => x.name === 'publish message.appended', 'the publish span');

      const traceId = edge.spanContext().traceId;
      for (const x of [clientSpan, serverSpan, publish]) expect(x.spanContext().traceId, x.name).to.equal(traceId);
      expect(clientSpan.parentSpanContext?.spanId).to.equal(edge.spanContext().spanId);
      expect(serverSpan.parentSpanContext?.spanId).to.equal(clientSpan.spanContext().spanId);
      expect(publish.parentSpanContext?.spanId).to.equal(serverSpan.spanContext().spanId);
      for (const x of [edge, clientSpan, serverSpan, publish]) expect(x.attributes[REQUEST_ID_ATTRIBUTE], x.name).to.equal(requestId);
      expect(edge.attributes['http.response.status_code']).to.equal(200);
      expect(serverSpan.attributes['rpc.grpc.status_code']).to.equal(0);
      // The event on the bus carries the trace for whoever consumes it next.
      expect(msg.headers?.get('traceparent')).to.contain(traceId);
    } finally {
      cli.close();
    }
  });

  it('when bob posts to alice\'s session, then his trace ends in a failed server span, apart from hers', async () => {
    const alice = await createCliSession(url, `${BASE}:alice`, 'traced-2');
    const jwt = await webToken(url, `${BASE}:bob`);
    exporter.reset();
    const r = await http(url, 'POST', `/api/sessions/${alice.id}/messages`, { token: jwt, body: { text: 'x' } });
    expect(r.status).to.equal(403);
    const spans = await waitFor(() => {
      const all = exporter.getFinishedSpans();
      return all.some((x) => x.name === 'POST /api/sessions/:id/messages') ? all : null;
    });
    const server = spans.find((x) => x.name === APPEND && x.kind === 1)!;
    expect(server.status.code).to.equal(2); // ERROR
    expect(server.attributes['rpc.grpc.status_code']).to.equal(7); // PERMISSION_DENIED
    expect(spans.filter((x) => x.name.startsWith('publish'))).to.deep.equal([]);
    expect(new Set(spans.map((x) => x.spanContext().traceId)).size).to.equal(1);
  });

  it('when a CLI socket sends an event, then its handler\'s calls are children of a socket span', async () => {
    const token = `${BASE}:alice`;
    const s = await createCliSession(url, token, 'traced-3');
    const cli = await StandIn.session(url, token, s.id, { heartbeatMs: 0 });
    try {
      exporter.reset();
      cli.emit('message', { sid: s.id, message: JSON.stringify({ role: 'agent', content: { type: 'output', data: { type: 'assistant' } } }) });
      // The server span can end before the gateway's client span sees the answer, so wait for
      // all three spans, not the first to finish.
      const spans = await waitFor(() => {
        const all = exporter.getFinishedSpans();
        const done = [(x: ReadableSpan) => x.name === APPEND && x.kind === 1, (x: ReadableSpan) => x.name === APPEND && x.kind === 2, (x: ReadableSpan) => x.name === 'socket message'];
        return done.every((pred) => all.some(pred)) ? all : null;
      }, { what: 'the socket message spans' });
      const edge = spans.find((x) => x.name === 'socket message')!;
      expect(edge, spans.map((x) => x.name).join(', ')).to.not.equal(undefined);
      const clientSpan = spans.find((x) => x.name === APPEND && x.kind === 2)!;
      expect(clientSpan.parentSpanContext?.spanId).to.equal(edge.spanContext().spanId);
      expect(clientSpan.spanContext().traceId).to.equal(edge.spanContext().traceId);
    } finally {
      cli.close();
    }
  });
});
