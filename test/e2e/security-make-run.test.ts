import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connect } from '@nats-io/transport-node';
import { io } from 'socket.io-client';
import { connectCli } from '../helpers/cli-socket.js';
import { createCliSession, http, webToken } from '../helpers/hub-harness.js';
import { startLocalHub, waitForOutput, type RunningHub } from '../helpers/local-hub.js';
import { freePort, waitFor } from '../helpers/ports.js';
import { openSse } from '../helpers/sse-client.js';
import { teamhub, tempDir } from './cli-tool-support.js';

const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

describe('e2e security: the hub as make run starts it (no secret in a log, NATS with users, private data)', function () {
  this.timeout(300_000);
  let dataDir: string;
  let port: number;
  let hub: RunningHub | null = null;
  const mode = (p: string) => statSync(p).mode & 0o777;

  before(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'teamhub-sec-'));
    port = await freePort();
    // Info level, as make run logs by default, and the request lines (debug by default) at info:
    // they are what could carry a token.
    hub = await startLocalHub({ dataDir, port, env: { TEAMHUB_LOG_LEVEL: 'info', TEAMHUB_REQUEST_LOG_LEVEL: 'info' } });
  });
  after(async () => {
    await hub?.stop('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('when started on a new data dir, then the banner shows the generated admin token once with where it is kept, and the data is private', () => {
    const out = hub!.output();
    const file = path.join(dataDir, 'admin-token');
    expect(hub!.adminToken).to.match(/^[A-Za-z0-9_-]{40,}$/);
    expect(out).to.include(`  Admin token:  ${hub!.adminToken}\n`);
    expect(out).to.include(`generated now and shown only this once; kept in ${file} (mode 0600`);
    expect(out.split(hub!.adminToken!).length - 1, 'times the admin token is printed').to.equal(1);
    expect(mode(dataDir)).to.equal(0o700);
    for (const f of ['admin-token', 'internal-secret', 'auth.db']) expect(mode(path.join(dataDir, f)), f).to.equal(0o600);
    expect(mode(path.join(dataDir, 'nats-auth'))).to.equal(0o700);
    // Secrets are on no command line.
    for (const [name, child] of hub!.children()) {
      const argv = child.argv.join(' ');
      for (const secret of [hub!.baseToken, hub!.adminToken!, readFileSync(path.join(dataDir, 'internal-secret'), 'utf8').trim()]) expect(argv, name).to.not.include(secret);
    }
  });

  it('when a teammate logs in, streams with ?token=, opens the /?token= link and uses the CLI plane, then no line of any process holds a token', async () => {
    const from = hub!.output().length;
    const access = `${hub!.baseToken}:alice`;
    const jwt = await webToken(hub!.url, access);
    const sse = await openSse(hub!.url, `/api/events?token=${encodeURIComponent(jwt)}&all=true`);
    expect(sse.status).to.equal(200);
    await sse.waitFrame((f) => f.data?.type === 'connection-changed');
    sse.close();
    const ticket = (await http(hub!.url, 'POST', '/api/events/ticket', { token: jwt })).json.ticket as string;
    const viaTicket = await openSse(hub!.url, `/api/events?ticket=${ticket}&all=true`);
    expect(viaTicket.status).to.equal(200);
    viaTicket.close();
    await fetch(`${hub!.url}/?token=${encodeURIComponent(access)}`);
    expect((await http(hub!.url, 'GET', '/cli/machines/none', { token: access })).status).to.equal(404);
    expect((await http(hub!.url, 'GET', '/admin/v1/namespaces', { token: hub!.adminToken })).status).to.equal(200);
    expect((await http(hub!.url, 'POST', '/api/auth/logout', { token: jwt })).status).to.equal(200);
    // The gateway logged these requests (so the scan below has something to scan).
    await waitForOutput(hub!, /incoming request.*\/api\/events\?token=\[redacted\]&all=true/, { from });
    await waitForOutput(hub!, /incoming request.*"url":"\/\?token=\[redacted\]"/, { from });
    await waitForOutput(hub!, /incoming request.*\/api\/events\?ticket=\[redacted\]&all=true/, { from });
    await waitForOutput(hub!, /request completed.*/, { from });
    const logged = hub!.output().slice(from);
    for (const [what, secret] of [
      ['base token', hub!.baseToken],
      ['access token, URL-encoded', encodeURIComponent(access)],
      ['JWT', jwt],
      ['JWT signature', jwt.split('.')[2]!],
      ['admin token', hub!.adminToken!],
      ['SSE ticket', ticket],
    ] as const) {
      expect(logged.includes(secret), `${what} in the logs`).to.equal(false);
    }
  });

  it('when a client reaches NATS without a user, then it is refused; a process user gets only its own subjects; the hub works through them (notify and toasts, room questions too)', async () => {
    const natsArgv = hub!.children().get('nats')!.argv;
    const natsUrl = `nats://127.0.0.1:${natsArgv[natsArgv.indexOf('-p') + 1]}`;
    let anonymous = '';
    try {
      await (await connect({ servers: natsUrl, reconnect: false })).close();
      anonymous = 'connected';
    } catch (err) {
      anonymous = (err as Error).message;
    }
    expect(anonymous).to.match(/Authorization Violation/i);

    const password = (user: string) => readFileSync(path.join(dataDir, 'nats-auth', `${user}.password`), 'utf8').trim();
    const nc = await connect({ servers: natsUrl, user: 'services', pass: password('services'), reconnect: false });
    const denied: string[] = [];
    void (async () => {
      for await (const s of nc.status()) if (s.type === 'error') denied.push(String((s as { error?: Error }).error?.message ?? ''));
    })();
    const seen: string[] = [];
    nc.subscribe('teamhub.>', {
      callback: (err, m) => {
        if (err) denied.push(err.message);
        else seen.push(m.subject);
      },
    });
    nc.publish('teamhub.palice.rpc.x.spawn-happy-session', new Uint8Array());
    // Only the gateway answers requests: another process may not publish into an inbox.
    nc.publish('_INBOX.forged-answer', new Uint8Array());
    await nc.flush();
    await waitFor(
      () =>
        denied.some((d) => /Subscription to "teamhub\.>"/.test(d)) &&
        denied.some((d) => /Publish to "teamhub\.palice\.rpc/.test(d)) &&
        denied.some((d) => /Publish to "_INBOX\.forged-answer"/.test(d)),
      { what: 'permission violations' },
    );

    // Through those permissions the hub still does everything: events to SSE (JetStream), to
    // sockets (core NATS), and an RPC from the web to the CLI and back.
    const access = `${hub!.baseToken}:alice`;
    const jwt = await webToken(hub!.url, access);
    const sse = await openSse(hub!.url, '/api/events?all=true', { token: jwt });
    const session = await createCliSession(hub!.url, access);
    await sse.waitFrame((f) => JSON.stringify(f.data ?? {}).includes(session.id), 10_000);
    const cli = await connectCli(hub!.url, access, { sessionId: session.id });
    cli.socket.on('rpc-request', (req: { method: string }, ack: (res: string) => void) => ack(JSON.stringify({ ok: true, method: req.method })));
    cli.socket.emit('rpc-register', { method: `${session.id}:abort` });
    cli.socket.emit('session-alive', { sid: session.id, time: Date.now(), thinking: false });
    await waitFor(async () => (await http(hub!.url, 'GET', `/api/sessions/${session.id}`, { token: jwt })).json?.session?.active === true, { what: 'active session' });
    // (A message needs an active session.) A 1.5 MB message's event fits the bus (make run gives nats-server an 8 MiB payload).
    const big = 'b'.repeat(1_500_000);
    expect((await http(hub!.url, 'POST', `/api/sessions/${session.id}/messages`, { token: jwt, body: { text: big } })).status).to.equal(200);
    await sse.waitFrame((f) => f.data?.type === 'message-received' && JSON.stringify(f.data).includes(big), 10_000);
    const aborted = await http(hub!.url, 'POST', `/api/sessions/${session.id}/abort`, { token: jwt });
    expect(aborted.status, aborted.text).to.equal(200);
    // The web terminal crosses the bus too (the gateway's user may use the terminal subjects).
    cli.socket.on('terminal:open', (d: { sessionId: string; terminalId: string }) => cli.socket.emit('terminal:ready', { sessionId: d.sessionId, terminalId: d.terminalId }));
    cli.socket.on('terminal:write', (d: { sessionId: string; terminalId: string; data: string }) =>
      cli.socket.emit('terminal:output', { sessionId: d.sessionId, terminalId: d.terminalId, data: `echo:${d.data}` }),
    );
    const term = io(`${hub!.url}/terminal`, { path: '/socket.io/', transports: ['websocket'], auth: { token: jwt }, reconnection: false, forceNew: true });
    try {
      const output: string[] = [];
      term.on('terminal:output', (o: { data: string }) => output.push(o.data));
      const ready = new Promise((resolve) => term.once('terminal:ready', resolve));
      await new Promise<void>((resolve, reject) => (term.once('connect', () => resolve()), term.once('connect_error', reject)));
      term.emit('terminal:create', { sessionId: session.id, terminalId: 't-bus', cols: 80, rows: 24 });
      await ready;
      term.emit('terminal:write', { terminalId: 't-bus', data: 'ls' });
      await waitFor(() => output.includes('echo:ls'), { what: 'terminal echo through NATS' });
    } finally {
      term.close();
    }
    // A permission request while alice's page is visible: the notify process (its own NATS user)
    // takes the event in its queue group, finds the visible stream in the gateways' registry and
    // asks that gateway for a toast, which the gateway's user may answer.
    const visible = await openSse(hub!.url, '/api/events?all=true&visibility=visible', { token: jwt });
    try {
      await visible.waitFrame((f) => f.data?.type === 'connection-changed');
      const version = (await http(hub!.url, 'GET', `/cli/sessions/${session.id}`, { token: access })).json.session.agentStateVersion as number;
      const asked = await cli.ack('update-state', { sid: session.id, expectedVersion: version, agentState: { requests: { 'bus-req': { tool: 'Bash', arguments: { command: 'ls' }, createdAt: Date.now() } } } });
      expect(asked.result, JSON.stringify(asked)).to.equal('success');
      const toast = await visible.waitFrame((f) => f.data?.type === 'toast', 20_000);
      expect(toast.data).to.deep.include({ namespace: 'alice' });
      expect(toast.data.data).to.deep.include({ title: 'Permission Request', sessionId: session.id });
    } finally {
      visible.close();
    }
    // Cancelling a queued message asks the session's CLI sockets on any replica (the room subjects).
    cli.socket.on('update', (u: { body?: { t?: string } }, ack?: (a: unknown) => void) => {
      if (u.body?.t === 'cancel-queued-message') ack?.({ removed: true });
    });
    const queued = await http(hub!.url, 'POST', `/api/sessions/${session.id}/messages`, { token: jwt, body: { text: 'queued', localId: 'bus-queued' } });
    expect(queued.status, queued.text).to.equal(200);
    const delivered = await cli.waitEvent('update', (u) => u.body?.message?.localId === 'bus-queued', 10_000);
    const cancelled = await http(hub!.url, 'DELETE', `/api/sessions/${session.id}/messages/${delivered.body.message.id}`, { token: jwt });
    expect(cancelled.json).to.deep.equal({ status: 'cancelled', localId: 'bus-queued' });
    expect(cli.events('update').filter((u) => u.body?.t === 'cancel-queued-message'), 'the CLI was asked').to.have.length(1);
    cli.close();
    sse.close();
    expect(seen, 'what the services user received').to.deep.equal([]);
    await nc.close();
  });

  it('when a client string carries terminal escapes, then the console shows them escaped, never raw', async () => {
    const from = hub!.output().length;
    const evil = 'evil-\x1b]0;owned\x07\x1b[2J\x1b[31m';
    const r = await http(hub!.url, 'POST', '/cli/machines', { token: `${hub!.baseToken}:alice`, body: { id: evil, metadata: { host: 'h', platform: 'linux', happyCliVersion: '0.30.7' } } });
    expect(r.status).to.equal(200);
    // Escaped as \xHH, or as \uHHHH inside a quoted value.
    await waitForOutput(hub!, /machine registered.*evil-\\(x1b|u001b)\]0;owned/, { from });
    expect(CONTROL.test(hub!.output().slice(from))).to.equal(false);
  });

  it('when the hub starts again on the same data dir, then the banner says where the admin token is without showing it, and the teamhub CLI reads it there', async () => {
    const adminToken = hub!.adminToken!;
    expect(await hub!.stop('SIGTERM')).to.equal(0);
    hub = await startLocalHub({ dataDir, port, env: { TEAMHUB_LOG_LEVEL: 'info', TEAMHUB_REQUEST_LOG_LEVEL: 'info' } });
    const out = hub.output();
    expect(out).to.include(`  Admin token:  kept in ${path.join(dataDir, 'admin-token')} (mode 0600; the teamhub CLI reads it there)`);
    expect(out.includes(adminToken)).to.equal(false);
    const home = tempDir('th-sec-cli-');
    try {
      const list = await teamhub(['namespace', 'list', '--json'], { home, url: hub.url, env: { TEAMHUB_ADMIN_TOKEN_FILE: path.join(dataDir, 'admin-token') } });
      expect(list.code, list.stderr).to.equal(0);
      // No namespace is registered (open mode); the list also shows, with counts only, the one
      // that holds data (alice's, from the tests above).
      const rows = JSON.parse(list.stdout) as { name: string; registered: boolean }[];
      expect(rows.map((r) => [r.name, r.registered])).to.deep.equal([['alice', false]]);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
