import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, waitFor } from '../helpers/ports.js';
import { startLocalHub, type RunningHub } from '../helpers/local-hub.js';
import { createCliSession, http, MACHINE_METADATA, webToken } from '../helpers/hub-harness.js';
import { openSse, type SseClient } from '../helpers/sse-client.js';
import { has, parsePrometheus, sumOf, type Sample } from '../helpers/prometheus.js';
import { StandIn } from '../surface/stand-ins.js';

const SESSION_APPEND = '/teamhub.session.v1.SessionService/AppendMessage';

/**
 * Metrics from every process of a hub started as `make run` starts it: each serves its own
 * /metrics on a loopback port the banner names; after a small workload by alice and bob (a CLI
 * socket, web messages, an SSE stream, a machine) each shows its request, gRPC, socket and store
 * series with sane values, and nothing in any series names a namespace, a session or a machine.
 * The gateway's public port answers /metrics to the admin token only.
 */
describe('e2e: metrics from every process (make run)', function () {
  this.timeout(240_000);
  let dataDir: string;
  let hub: RunningHub;
  let targets: { name: string; url: string }[] = [];
  const sockets: StandIn[] = [];
  let sse: SseClient | undefined;
  const secrets: string[] = [];

  before(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'teamhub-metrics-'));
    // Split topology: each service its own process, so each shows its own series (make run's
    // default hosts them in one process, which then serves one listener for all three).
    hub = await startLocalHub({ dataDir, port: await freePort(), env: { TEAMHUB_SERVICE_PROCESSES: 'split' } });
    targets = JSON.parse(readFileSync(path.join(dataDir, 'hub.json'), 'utf8')).metrics;
  });

  after(async () => {
    sse?.close();
    for (const s of sockets) s.close();
    await hub?.stop('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  });

  const scrape = async (url: string): Promise<{ text: string; samples: Sample[] }> => {
    const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    expect(res.status, url).to.equal(200);
    expect(res.headers.get('content-type')).to.match(/^text\/plain/);
    const text = await res.text();
    return { text, samples: parsePrometheus(text) };
  };

  it('when the hub starts, then the banner and hub.json name one loopback metrics address per process', () => {
    expect(targets.map((t) => t.name).sort()).to.deep.equal(['auth', 'gateway', 'machine', 'notify', 'session']);
    for (const t of targets) {
      expect(t.url).to.match(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      expect(hub.output()).to.contain(t.url);
    }
  });

  it('when alice and bob work for a while, then every process shows its series with sane values and no namespace in any label', async () => {
    const ids: string[] = [];
    for (const who of ['alice', 'bob']) {
      const token = `${hub.baseToken}:${who}`;
      secrets.push(token);
      const session = await createCliSession(hub.url, token, `metrics-${who}`);
      ids.push(session.id);
      const machineId = `metrics-machine-${who}`;
      ids.push(machineId);
      expect((await http(hub.url, 'POST', '/cli/machines', { token, body: { id: machineId, metadata: MACHINE_METADATA, runnerState: null } })).status).to.equal(200);
      const cli = await StandIn.session(hub.url, token, session.id, { heartbeatMs: 0 });
      sockets.push(cli);
      const jwt = await webToken(hub.url, token);
      secrets.push(jwt);
      if (who === 'alice') {
        sse = await openSse(hub.url, '/api/events?all=true', { token: jwt });
        await sse.waitFrame((f) => f.data?.type === 'connection-changed');
      }
      await waitFor(async () => (await http(hub.url, 'GET', `/api/sessions/${session.id}`, { token: jwt })).json?.session?.active === true, { timeoutMs: 10_000, what: 'session active' });
      for (let i = 0; i < 3; i++) {
        const r = await http(hub.url, 'POST', `/api/sessions/${session.id}/messages`, { token: jwt, body: { text: `hello ${i}`, localId: `m-${who}-${i}` } });
        expect(r.status, r.text).to.equal(200);
      }
      await cli.waitUpdate('new-message', (u) => (u.body as any)?.message?.localId === `m-${who}-2`, 10_000);
    }
    await sse!.waitFrame((f) => f.data?.type === 'message-received', 10_000);
    // bob's own failed attempt on alice's session, so error codes show up too
    const bobJwt = await webToken(hub.url, `${hub.baseToken}:bob`);
    expect((await http(hub.url, 'GET', `/api/sessions/${ids[0]}`, { token: bobJwt })).status).to.equal(403);

    // One call the notify service answers over gRPC, so its server series have a value too.
    expect((await http(hub.url, 'GET', '/api/push/vapid-public-key', { token: bobJwt })).status).to.equal(200);

    const byName = new Map<string, { text: string; samples: Sample[] }>();
    for (const t of targets) byName.set(t.name, await scrape(t.url));

    for (const [name, { text, samples }] of byName) {
      // Process metrics, from prom-client's defaults, and every series names its process.
      expect(sumOf(samples, 'teamhub_process_cpu_seconds_total'), name).to.be.greaterThan(0);
      expect(sumOf(samples, 'teamhub_process_resident_memory_bytes'), name).to.be.greaterThan(10 * 1024 * 1024);
      expect(samples.every((s) => s.labels.service === name), `${name}: every series has service="${name}"`).to.equal(true);
      // Nothing names a namespace or an entity, neither as a label nor as a value.
      for (const s of samples) for (const label of Object.keys(s.labels)) expect(label, `${name}: ${s.name}`).to.not.match(/^(ns|namespace|session|session_id|machine|machine_id|user)$/);
      for (const word of ['alice', 'bob', hub.baseToken, ...ids, ...secrets]) expect(text.includes(word), `${name} mentions ${word.slice(0, 12)}`).to.equal(false);
      // Every process serves gRPC or calls it: auth, session, machine and notify serve; the gateway calls.
      if (name !== 'gateway') expect(sumOf(samples, 'teamhub_grpc_server_handled_total', { grpc_code: 'OK' }), name).to.be.greaterThan(0);
    }

    const gw = byName.get('gateway')!.samples;
    expect(sumOf(gw, 'teamhub_http_requests_total', { method: 'POST', route: '/api/sessions/:id/messages', status: '200' })).to.equal(6);
    expect(sumOf(gw, 'teamhub_http_requests_total', { method: 'POST', route: '/cli/sessions', status: '200' })).to.equal(2);
    expect(sumOf(gw, 'teamhub_http_requests_total', { method: 'GET', route: '/api/sessions/:id', status: '403' })).to.equal(1);
    expect(sumOf(gw, 'teamhub_http_request_duration_seconds_count', { method: 'POST', route: '/api/sessions/:id/messages' })).to.equal(6);
    expect(sumOf(gw, 'teamhub_grpc_client_handled_total', { grpc_method: SESSION_APPEND, grpc_code: 'OK' })).to.equal(6);
    expect(sumOf(gw, 'teamhub_grpc_client_handled_total', { grpc_code: 'PERMISSION_DENIED' })).to.be.greaterThan(0);
    expect(sumOf(gw, 'teamhub_socket_connections', { nsp: '/cli' })).to.equal(2);
    expect(sumOf(gw, 'teamhub_sse_streams')).to.equal(1);
    expect(sumOf(gw, 'teamhub_events_delivered_total', { surface: 'socket' })).to.be.greaterThan(0);
    expect(sumOf(gw, 'teamhub_events_delivered_total', { surface: 'sse' })).to.be.greaterThan(0);
    expect(sumOf(gw, 'teamhub_event_delivery_lag_seconds_count', { surface: 'socket' })).to.be.greaterThan(0);
    // Lag from a service's write to a socket on loopback is well under ten seconds.
    expect(sumOf(gw, 'teamhub_event_delivery_lag_seconds_bucket', { surface: 'socket', le: '10' })).to.equal(sumOf(gw, 'teamhub_event_delivery_lag_seconds_count', { surface: 'socket' }));

    const ss = byName.get('session')!.samples;
    expect(sumOf(ss, 'teamhub_grpc_server_handled_total', { grpc_method: SESSION_APPEND, grpc_code: 'OK' })).to.equal(6);
    expect(sumOf(ss, 'teamhub_grpc_server_handling_seconds_count', { grpc_method: SESSION_APPEND })).to.equal(6);
    expect(sumOf(ss, 'teamhub_store_operation_seconds_count', { operation: 'appendMessage', result: 'ok' })).to.equal(6);
    expect(sumOf(ss, 'teamhub_events_published_total', { entity: 'message', kind: 'appended', result: 'ok' })).to.equal(6);
    expect(has(byName.get('machine')!.samples, 'teamhub_store_operation_seconds_count', { operation: 'insert' })).to.equal(true);
    expect(sumOf(byName.get('auth')!.samples, 'teamhub_grpc_server_handled_total', { grpc_method: '/teamhub.auth.v1.AuthService/ResolveAccessToken' })).to.be.greaterThan(0);
  });

  it('when /metrics is asked on the public port, then no header is 401, a teammate or the base token 403, the admin token 200', async () => {
    const none = await http(hub.url, 'GET', '/metrics');
    expect(none.status).to.equal(401);
    expect(none.text).to.not.contain('teamhub_');
    for (const token of [hub.baseToken, `${hub.baseToken}:alice`, 'garbage-token']) {
      const r = await http(hub.url, 'GET', '/metrics', { token });
      expect(r.status).to.equal(403);
      expect(r.json).to.deep.equal({ error: 'Admin token required' });
    }
    const admin = await http(hub.url, 'GET', '/metrics', { token: hub.adminToken! });
    expect(admin.status).to.equal(200);
    expect(sumOf(parsePrometheus(admin.text), 'teamhub_http_requests_total', { route: '/metrics', status: '401' })).to.equal(1);
  });

  it('when a metrics listener is asked for another path or method, then 404 / 405 as JSON', async () => {
    const gateway = targets.find((t) => t.name === 'gateway')!.url;
    const other = await fetch(gateway.replace(/\/metrics$/, '/secrets'));
    expect(other.status).to.equal(404);
    expect(await other.json()).to.deep.equal({ error: 'Not found' });
    const post = await fetch(gateway, { method: 'POST' });
    expect(post.status).to.equal(405);
  });
});
