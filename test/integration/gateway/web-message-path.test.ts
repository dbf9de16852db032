import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { pino } from 'pino';
import type { FastifyInstance } from 'fastify';
import { RpcClient } from '../../../lib/grpc/client.js';
import { buildGrpcServer, type BuiltServer } from '../../../lib/grpc/server.js';
import { AuthServiceService } from '../../../lib/gen/teamhub/auth/v1/auth.js';
import { SessionServiceService } from '../../../lib/gen/teamhub/session/v1/session.js';
import { ScratchlistServiceService } from '../../../lib/gen/teamhub/session/v1/scratchlist.js';
import { MachineServiceService } from '../../../lib/gen/teamhub/machine/v1/machine.js';
import { NotifyServiceService } from '../../../lib/gen/teamhub/notify/v1/notify.js';
import { EntityEvent } from '../../../lib/gen/teamhub/events/v1/events.js';
import { startTestPipeline } from '../../helpers/event-pipeline.js';
import type { EventOutbox } from '../../../lib/events/outbox.js';
import { SUBJECT_ROOT } from '../../../lib/nats/subjects.js';
import { resolveSecrets } from '../../../services/auth/secrets.js';
import { NatsRevocationSink } from '../../../services/auth/events.js';
import * as auth from '../../../services/auth/server.js';
import { SqliteAuthStore } from '../../../services/auth/store-sqlite.js';
import * as session from '../../../services/session/server.js';
import { SqliteSessionStore } from '../../../services/session/store-sqlite.js';
import { SessionEvents } from '../../../services/session/events.js';
import { ScheduledDelivery } from '../../../services/session/scheduler.js';
import * as machine from '../../../services/machine/server.js';
import { SqliteMachineStore } from '../../../services/machine/store-sqlite.js';
import { loadGatewayConfig } from '../../../gateway/config.js';
import { GatewayAuthenticator } from '../../../gateway/http/authenticator.js';
import { buildGateway } from '../../../gateway/app.js';
import type { Live } from '../../../gateway/live/index.js';
import { startNats, type NatsServer } from '../../helpers/nats-server.js';
import { waitFor } from '../../helpers/ports.js';
import { http, SESSION_METADATA, webToken } from '../../helpers/hub-harness.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const BASE = `base${randomBytes(12).toString('hex')}`;
const INTERNAL = `internal${randomBytes(12).toString('hex')}`;
const ALICE = `${BASE}:alice`;
/** The test's own parse (the CLI child's output lines), kept out of the count below. */
const parseLine = JSON.parse;

/** Log lines a service writes, parsed (pino JSON), for checking what every line carries. */
function captureLog(): { log: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString('utf8').split('\n')) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  return { log: pino({ level: 'debug' }, sink), lines };
}

/**
 * The path of one web message, counted: the gateway app and the auth, session and machine
 * services in this process with real gRPC, real NATS (JetStream) and SQLite; the CLI socket in a
 * child process (so its own decoding of the socket frame is not counted here). From the POST to
 * the CLI's `update`, the hub makes one gRPC call and parses JSON once after Fastify parsed the
 * body.
 */
describe('a web message to the CLI socket: one RPC and one JSON parse after the HTTP body', function () {
  this.timeout(60_000);
  let nats: NatsServer;
  let nc: NatsConnection;
  const servers: BuiltServer[] = [];
  const closers: (() => Promise<void> | void)[] = [];
  const pipeline = async (outbox: EventOutbox) => {
    const p = await startTestPipeline(nc, outbox);
    closers.push(() => p.close());
    return p;
  };
  let app: FastifyInstance;
  let live: Live;
  let scheduler: ScheduledDelivery;
  let url = '';
  let cli: ChildProcess | undefined;
  const cliLines: { event: string; data: any }[] = [];
  const rpcCalls: string[] = [];
  const sessionLog = captureLog();

  const countCalls: grpc.Interceptor = (options, nextCall) => {
    rpcCalls.push(options.method_definition.path);
    return new grpc.InterceptingCall(nextCall(options));
  };

  async function serve(services: Parameters<typeof buildGrpcServer>[0]['services'], healthName: string, log = pino({ level: 'silent' })): Promise<string> {
    const server = buildGrpcServer({ healthName, internalSecret: INTERNAL, log, services });
    servers.push(server);
    return `127.0.0.1:${await server.listen('127.0.0.1:0')}`;
  }

  before(async () => {
    nats = await startNats();
    nc = await connect({ servers: nats.url });
    const silent = pino({ level: 'silent' });
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
    const sessionPipeline = await pipeline(sessionStore.outbox);
    scheduler = new ScheduledDelivery(sessionStore, new SessionEvents(sessionPipeline.sink), { pollMs: 100, claimMs: 10_000, log: silent, unitOfWork: sessionPipeline.aroundCall });
    scheduler.start();
    closers.push(() => scheduler.stop());
    const sessionAddr = await serve(session.buildServices({ store: sessionStore, sink: sessionPipeline.sink, scheduler }), session.HEALTH_NAME, sessionLog.log);
    const machineStore = await SqliteMachineStore.open(':memory:');
    const machineAddr = await serve(machine.buildServices({ store: machineStore, sink: (await pipeline(machineStore.outbox)).sink }), machine.HEALTH_NAME);
    closers.push(() => authStore.close(), () => sessionStore.close(), () => machineStore.close());

    const cfg = loadGatewayConfig({ TEAMHUB_INTERNAL_SECRET: INTERNAL, TEAMHUB_NATS_URL: nats.url, TEAMHUB_AUTH_ADDR: authAddr, TEAMHUB_SESSION_ADDR: sessionAddr, TEAMHUB_MACHINE_ADDR: machineAddr, TEAMHUB_WEB_DIR: path.join(HERE, 'no-such-web') });
    const opts = { internalSecret: INTERNAL, interceptors: [countCalls] };
    const clients = {
      auth: new RpcClient(AuthServiceService, authAddr, opts),
      session: new RpcClient(SessionServiceService, sessionAddr, opts),
      machine: new RpcClient(MachineServiceService, machineAddr, opts),
      // Never called on the web message path (a client to nowhere: grpc-js connects on first use).
      notify: new RpcClient(NotifyServiceService, '127.0.0.1:9', opts),
      scratchlist: new RpcClient(ScratchlistServiceService, sessionAddr, opts),
    };
    closers.push(() => Object.values(clients).forEach((c) => c.close()));
    // The JWT key is fetched once at start; a refresh during the test would be one more call.
    const authenticator = new GatewayAuthenticator({ clients, nc, log: silent, verifierRefreshMs: 3_600_000 });
    await authenticator.start();
    closers.push(() => authenticator.close());
    ({ app, live } = await buildGateway({ cfg, log: silent, clients, nc, auth: authenticator, replicaId: 'gw-test' }));
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });

  after(async () => {
    cli?.kill('SIGKILL');
    await live?.close();
    await app?.close();
    for (const close of closers.reverse()) await close();
    for (const s of servers) await s.stop(1000);
    await nc?.close();
    await nats?.stop();
  });

  function startCli(sessionId: string): void {
    cli = spawn(process.execPath, [path.join(HERE, 'cli-listener.mjs'), url, sessionId], { env: { ...process.env, CLI_TOKEN: ALICE }, stdio: ['ignore', 'pipe', 'inherit'] });
    let buf = '';
    cli.stdout!.on('data', (b: Buffer) => {
      buf += b.toString('utf8');
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        cliLines.push(parseLine(buf.slice(0, nl)) as { event: string; data: any });
        buf = buf.slice(nl + 1);
      }
    });
  }

  const updateWith = (text: string) => cliLines.find((l) => l.event === 'update' && l.data?.body?.message?.content?.content?.text === text);

  it('when alice posts a message in the web, then her CLI gets new-message after one gRPC call and one parse, and every process logs it with ns and reqId', async () => {
    const created = await http(url, 'POST', '/cli/sessions', { token: ALICE, body: { tag: 'path-test', metadata: SESSION_METADATA, agentState: {} } });
    expect(created.status, created.text).to.equal(200);
    const sid = created.json.session.id as string;
    const jwt = await webToken(url, ALICE);
    startCli(sid);
    await waitFor(() => cliLines.find((l) => l.event === 'connect' || l.event === 'connect_error'), { timeoutMs: 15_000, what: 'CLI socket connected' });
    expect(cliLines.find((l) => l.event === 'connect_error')).to.equal(undefined);
    // HAPI takes web messages only while the CLI is live: its first heartbeat makes the session active.
    await waitFor(async () => (await http(url, 'GET', `/api/sessions/${sid}`, { token: jwt })).json?.session?.active === true, { timeoutMs: 10_000, what: 'session active' });
    // A first message proves the room's subscription is live before anything is counted.
    const warm = await http(url, 'POST', `/api/sessions/${sid}/messages`, { token: jwt, body: { text: 'warm-up' } });
    expect(warm.status, warm.text).to.equal(200);
    await waitFor(() => updateWith('warm-up'), { timeoutMs: 10_000, what: 'warm-up update' });

    const appended: EntityEvent[] = [];
    const sub = nc.subscribe(`${SUBJECT_ROOT}.*.message.*.appended`, { callback: (_e, m) => void appended.push(EntityEvent.decode(m.data)) });
    await nc.flush();
    const marker = `marker-${randomBytes(8).toString('hex')}`;
    const requestId = `req-${randomBytes(6).toString('hex')}`;
    const body = JSON.stringify({ text: marker, localId: 'local-1' });
    const parsed: string[] = [];
    const realParse = JSON.parse;
    JSON.parse = function countingParse(text: string, reviver?: (this: unknown, key: string, value: unknown) => unknown) {
      if (typeof text === 'string' && text.includes(marker)) parsed.push(text);
      return realParse(text, reviver);
    } as typeof JSON.parse;
    rpcCalls.length = 0;
    let update: { event: string; data: any } | undefined;
    try {
      const posted = await http(url, 'POST', `/api/sessions/${sid}/messages`, { token: jwt, rawBody: body, headers: { 'x-request-id': requestId } });
      expect(posted.status, posted.text).to.equal(200);
      update = await waitFor(() => updateWith(marker), { timeoutMs: 10_000, what: 'the marked update at the CLI' });
    } finally {
      JSON.parse = realParse;
      sub.unsubscribe();
    }
    const calls = [...rpcCalls];

    expect(calls).to.deep.equal(['/teamhub.session.v1.SessionService/AppendMessage']);
    // Fastify's parse of the body, then one: the gateway's render of the stored content.
    expect(parsed, JSON.stringify(parsed)).to.have.length(2);
    expect(parsed[0]).to.equal(body);
    expect(realParse(parsed[1]!)).to.deep.equal({ role: 'user', content: { type: 'text', text: marker }, meta: { sentFrom: 'webapp' } });
    expect(update!.data.body).to.deep.include({ t: 'new-message', sid });
    // The delivery mode is a field of the stored message, shown where HAPI has it (no parse more).
    expect(update!.data.body.message).to.deep.include({ seq: 2, localId: 'local-1', content: { role: 'user', content: { type: 'text', text: marker }, meta: { sentFrom: 'webapp', deliveryMode: 'queue' } } });

    // The request id crosses every process: the gRPC call, the service's log, the event.
    await waitFor(() => appended.find((e) => e.requestId === requestId), { timeoutMs: 5_000, what: 'the appended event' });
    const line = sessionLog.lines.find((l) => l.msg === 'message appended' && l.reqId === requestId);
    expect(line, JSON.stringify(sessionLog.lines.slice(-5))).to.deep.include({ ns: 'alice', reqId: requestId, sessionId: sid, seq: 2 });
  });

  it('when alice schedules a message with a delivery mode, then the accepted POST is one gRPC call (a refused one looks the session up), and at its time the CLI gets it after one parse more', async () => {
    const sid = (cliLines.find((l) => l.event === 'update')?.data?.body?.sid ?? '') as string;
    expect(sid).to.not.equal('');
    const jwt = await webToken(url, ALICE);
    const marker = `later-${randomBytes(8).toString('hex')}`;
    const scheduledAt = Date.now() + 1_500;
    const body = JSON.stringify({ text: marker, localId: 'local-later', scheduledAt, deliveryMode: 'steer' });
    const parsed: string[] = [];
    const realParse = JSON.parse;
    JSON.parse = function countingParse(text: string, reviver?: (this: unknown, key: string, value: unknown) => unknown) {
      if (typeof text === 'string' && text.includes(marker)) parsed.push(text);
      return realParse(text, reviver);
    } as typeof JSON.parse;
    rpcCalls.length = 0;
    let update: { event: string; data: any } | undefined;
    try {
      const posted = await http(url, 'POST', `/api/sessions/${sid}/messages`, { token: jwt, rawBody: body });
      // A scheduled message with steer is HAPI's 400; without steer it is taken.
      expect(posted.status).to.equal(400);
      const ok = await http(url, 'POST', `/api/sessions/${sid}/messages`, { token: jwt, rawBody: body.replace('"steer"', '"queue"') });
      expect(ok.status, ok.text).to.equal(200);
      expect([...rpcCalls], 'the POSTs').to.deep.equal(['/teamhub.session.v1.SessionService/GetSession', '/teamhub.session.v1.SessionService/AppendMessage']);
      update = await waitFor(() => updateWith(marker), { timeoutMs: 10_000, what: 'the scheduled update at the CLI' });
    } finally {
      JSON.parse = realParse;
    }
    expect(Date.now()).to.be.at.least(scheduledAt);
    // The two bodies Fastify parsed, then one: the render of the due message.
    expect(parsed, JSON.stringify(parsed)).to.have.length(3);
    expect(update!.data.body.message.content.meta).to.deep.equal({ sentFrom: 'webapp', deliveryMode: 'queue' });
  });

  it("when bob posts to alice's session, then 403 Session access denied after one call and nothing reaches her CLI", async () => {
    const sid = (cliLines.find((l) => l.event === 'update')?.data?.body?.sid ?? '') as string;
    expect(sid).to.not.equal('');
    const bob = await webToken(url, `${BASE}:bob`);
    rpcCalls.length = 0;
    const before = cliLines.length;
    const r = await http(url, 'POST', `/api/sessions/${sid}/messages`, { token: bob, body: { text: 'from bob' } });
    expect([r.status, r.json]).to.deep.equal([403, { error: 'Session access denied' }]);
    expect(rpcCalls).to.deep.equal(['/teamhub.session.v1.SessionService/AppendMessage']);
    const bad = await http(url, 'POST', `/api/sessions/${sid}/messages`, { token: bob, body: { text: '' } });
    expect([bad.status, bad.json], 'a bad body for a foreign session is still 403').to.deep.equal([403, { error: 'Session access denied' }]);
    const missing = await http(url, 'POST', '/api/sessions/no-such-session/messages', { token: bob, body: { text: 'x' } });
    expect([missing.status, missing.json]).to.deep.equal([404, { error: 'Session not found' }]);
    // A later message of alice's is the fence: bob's would have arrived before it.
    const jwt = await webToken(url, ALICE);
    await http(url, 'POST', `/api/sessions/${sid}/messages`, { token: jwt, body: { text: 'fence' } });
    await waitFor(() => updateWith('fence'), { timeoutMs: 10_000, what: 'fence update' });
    expect(cliLines.slice(before).filter((l) => JSON.stringify(l).includes('from bob'))).to.deep.equal([]);
  });
});
