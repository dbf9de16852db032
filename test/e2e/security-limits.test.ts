import { expect } from 'chai';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { io, Manager } from 'socket.io-client';
import { connectCli, type CliSocket } from '../helpers/cli-socket.js';
import { createCliSession, http, httpDeclaredBody, MACHINE_METADATA, startHub, waitFor, webToken, type Hub } from '../helpers/hub-harness.js';
import { openSse } from '../helpers/sse-client.js';

const FLOOD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'socket-flood.mjs');

/** Runs socket-flood.mjs (its own process) and resolves with its last JSON line. */
function flood(url: string, token: string, args: string[]): Promise<any> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [FLOOD, url, ...args], { env: { ...process.env, CLI_TOKEN: token }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (b: Buffer) => (out += b.toString('utf8')));
    p.on('error', reject);
    p.on('exit', (code) => {
      const last = out.trim().split('\n').pop() ?? '';
      if (code !== 0) return reject(new Error(`socket-flood exited ${code}: ${out}`));
      resolve(JSON.parse(last));
    });
  });
}

/** How a socket's connection attempt ended: connected, refused with a reason, or its connection closed. */
function connectOutcome(url: string, token: string): Promise<string> {
  const socket = io(`${url}/cli`, { path: '/socket.io/', transports: ['websocket'], reconnection: false, forceNew: true, auth: { token } });
  return new Promise<string>((resolve) => {
    socket.once('connect', () => resolve('connected'));
    socket.once('connect_error', (err) => resolve(err.message));
    // The client closes its own manager on a refusal ("forced close") before it reports the reason.
    socket.io.on('close', (reason) => reason !== 'forced close' && resolve(`closed: ${reason}`));
  }).finally(() => socket.close());
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Another namespace's reads while `work` runs: every latency, in ms. */
async function latencyDuring(work: Promise<unknown>, read: () => Promise<number>): Promise<number[]> {
  let done = false;
  const finished = work.finally(() => (done = true));
  const samples: number[] = [];
  while (!done || samples.length < 5) {
    const t = performance.now();
    expect(await read()).to.equal(200);
    samples.push(performance.now() - t);
  }
  await finished;
  return samples;
}

async function refusal(url: string, token: string, scope: { sessionId?: string } = {}): Promise<string> {
  try {
    const s = await connectCli(url, token, scope);
    s.close();
    return 'connected';
  } catch (err) {
    return (err as Error).message;
  }
}

describe('e2e security: fair share, no teammate can starve the others', function () {
  this.timeout(240_000);
  let hub: Hub;
  const token = (ns: string) => `${hub.baseToken}:${ns}`;
  const open: Array<{ close(): void }> = [];
  let bobJwt = '';
  const bobList = async () => (await http(hub.url, 'GET', '/api/sessions', { token: bobJwt })).status;

  before(async () => {
    hub = await startHub({
      env: {
        TEAMHUB_MAX_SOCKETS_PER_CREDENTIAL: '4',
        TEAMHUB_MAX_SOCKETS_PER_NAMESPACE: '6',
        TEAMHUB_MAX_SSE_PER_CREDENTIAL: '2',
        TEAMHUB_MAX_SSE_PER_NAMESPACE: '3',
        TEAMHUB_MAX_MESSAGE_BYTES: '4096',
        TEAMHUB_MAX_DOCUMENT_BYTES: '4096',
        TEAMHUB_MAX_SESSIONS_PER_NAMESPACE: '3',
        TEAMHUB_MAX_MACHINES_PER_NAMESPACE: '2',
        TEAMHUB_SOCKET_AUTH_TIMEOUT_MS: '1500',
        TEAMHUB_PREAUTH_BODY_BYTES: '16384',
      },
    });
    bobJwt = await webToken(hub.url, token('bob'));
    for (let i = 0; i < 3; i++) await createCliSession(hub.url, token('bob'));
  });
  after(async () => {
    for (const c of open) c.close();
    await hub?.stop();
  });

  /** The session is alive on its CLI socket (a web message goes only to an active session). */
  const activate = async (s: CliSocket, sid: string, jwt: string): Promise<void> => {
    s.socket.emit('session-alive', { sid, time: Date.now(), thinking: false });
    await waitFor(async () => (await http(hub.url, 'GET', `/api/sessions/${sid}`, { token: jwt })).json?.session?.active === true, { what: 'active session' });
  };

  const cli = async (ns: string, scope: { sessionId?: string } = {}): Promise<CliSocket> => {
    const s = await connectCli(hub.url, token(ns), scope);
    open.push(s);
    return s;
  };

  it("when one socket sends 20,000 rpc-registers, then those past the limit are refused with a clear error while bob's requests keep their latency", async () => {
    const session = await createCliSession(hub.url, token('alice'));
    const run = flood(hub.url, token('alice'), [session.id, 'rpc-register', '20000', '101']);
    const samples = await latencyDuring(run, bobList);
    const res = await run;
    // Each refusal is answered up to 100, then one notice: a flood gets no flood back.
    expect(res.refusals).to.equal(101);
    expect(res.first).to.deep.equal({ message: 'Too many RPC methods registered on this socket (at most 256)', code: 'limit-exceeded', scope: 'rpc', id: `${session.id}:method-256` });
    expect(res.last).to.deep.equal({ message: 'Too many RPC methods registered on this socket (at most 256); further refusals are not reported', code: 'limit-exceeded', scope: 'rpc' });
    expect(res.connected).to.equal(true);
    expect(Math.max(...samples), `bob's GET /api/sessions during the flood (ms): ${samples.map(Math.round).join(' ')}`).to.be.below(1000);
  });

  it("when messages-consumed names 1,000,000 ids, then it is refused unparsed with a clear error while bob's requests keep their latency; 5000 ids are refused, 1000 are fine", async () => {
    const session = await createCliSession(hub.url, token('alice'));
    const run = flood(hub.url, token('alice'), [session.id, 'messages-consumed', '1000000']);
    const samples = await latencyDuring(run, bobList);
    const res = await run;
    expect(res.refusals).to.equal(1);
    expect(res.first).to.include({ code: 'limit-exceeded', scope: 'session' });
    expect(res.first.message).to.match(/^Event messages-consumed too large \(\d+ characters; at most 73728\)$/);
    expect(Math.max(...samples), `bob's GET /api/sessions (ms): ${samples.map(Math.round).join(' ')}`).to.be.below(1000);
    const s = await cli('alice', { sessionId: session.id });
    s.socket.emit('messages-consumed', { sid: session.id, localIds: Array.from({ length: 5000 }, (_, i) => i.toString(36)) });
    expect(await s.waitEvent('error')).to.deep.equal({ message: 'too many localIds (at most 1000 per event)', code: 'invalid', scope: 'session', id: session.id });
    s.socket.emit('messages-consumed', { sid: session.id, localIds: Array.from({ length: 1000 }, (_, i) => `id-${i}`) });
    expect(await s.ack('ping')).to.equal(undefined);
    expect(s.events('error')).to.have.length(1);
  });

  it('when a credential holds its sockets, then one more is refused with the reason; closing one frees a place; other namespaces are not counted', async () => {
    const mine = [];
    for (let i = 0; i < 4; i++) mine.push(await cli('carol'));
    expect(await refusal(hub.url, token('carol'))).to.equal('Too many connections for this credential (at most 4)');
    expect(await refusal(hub.url, token('dave'))).to.equal('connected');
    mine[0]!.close();
    await waitFor(async () => (await refusal(hub.url, token('carol'))) === 'connected', { timeoutMs: 5000, what: 'a freed place' });
  });

  it('when a credential or a namespace holds its event streams, then one more is 429 with the reason', async () => {
    const jwt1 = await webToken(hub.url, token('erin'));
    const jwt2 = await webToken(hub.url, token('erin'));
    const streams = [await openSse(hub.url, '/api/events', { token: jwt1 }), await openSse(hub.url, '/api/events', { token: jwt1 })];
    open.push(...streams);
    const third = await openSse(hub.url, '/api/events', { token: jwt1 });
    expect(third.status).to.equal(429);
    const other = await openSse(hub.url, '/api/events', { token: jwt2 });
    open.push(other);
    expect(other.status).to.equal(200);
    const overNamespace = await fetch(`${hub.url}/api/events`, { headers: { authorization: `Bearer ${jwt2}` } });
    expect(overNamespace.status).to.equal(429);
    expect(await overNamespace.json()).to.deep.equal({ error: 'Too many event streams for this namespace (at most 3)' });
    const bobStream = await openSse(hub.url, '/api/events', { token: bobJwt });
    open.push(bobStream);
    expect(bobStream.status).to.equal(200);
  });

  it('when a message or a document is over its size, then 413 or an error answer with the limit, on REST and on the socket', async () => {
    const session = await createCliSession(hub.url, token('frank'));
    const jwt = await webToken(hub.url, token('frank'));
    const s = await cli('frank', { sessionId: session.id });
    await activate(s, session.id, jwt);
    const web = await http(hub.url, 'POST', `/api/sessions/${session.id}/messages`, { token: jwt, body: { text: 'x'.repeat(5000) } });
    expect(web.status).to.equal(413);
    expect(web.json.error).to.match(/^Message too large \(\d+ bytes; at most 4096\)$/);
    expect((await http(hub.url, 'POST', `/api/sessions/${session.id}/messages`, { token: jwt, body: { text: 'small' } })).status).to.equal(200);

    s.socket.emit('message', { sid: session.id, message: { role: 'agent', content: 'x'.repeat(5000) } });
    const err = await s.waitEvent('error', (e) => e.code === 'limit-exceeded');
    expect(err).to.include({ code: 'limit-exceeded', scope: 'session', id: session.id });
    expect(err.message).to.match(/^Message too large/);
    const meta = await s.ack('update-metadata', { sid: session.id, expectedVersion: session.metadataVersion, metadata: { path: '/p', host: 'h', blob: 'y'.repeat(5000) } });
    expect(meta.result).to.equal('error');
    expect(meta.reason).to.match(/^Metadata too large \(\d+ bytes; at most 4096\)$/);

    const machine = await http(hub.url, 'POST', '/cli/machines', { token: token('frank'), body: { id: 'frank-m1', metadata: { ...MACHINE_METADATA, blob: 'z'.repeat(5000) } } });
    expect(machine.status).to.equal(413);
    expect(machine.json.error).to.match(/^Metadata too large/);
  });

  it('when a namespace holds its sessions or machines, then one more is 429 with the reason; a known tag and other namespaces still work', async () => {
    for (let i = 0; i < 3; i++) await createCliSession(hub.url, token('gina'), `tag-${i}`);
    const over = await http(hub.url, 'POST', '/cli/sessions', { token: token('gina'), body: { tag: 'tag-3', metadata: { path: '/p', host: 'h' }, agentState: {} } });
    expect(over.status).to.equal(429);
    expect(over.json).to.deep.equal({ error: 'Too many sessions in this namespace (at most 3)' });
    expect((await http(hub.url, 'POST', '/cli/sessions', { token: token('gina'), body: { tag: 'tag-1', metadata: { path: '/p', host: 'h' }, agentState: {} } })).status).to.equal(200);
    expect((await http(hub.url, 'POST', '/cli/sessions', { token: token('hank'), body: { tag: 'tag-3', metadata: { path: '/p', host: 'h' }, agentState: {} } })).status).to.equal(200);

    for (const id of ['gina-m1', 'gina-m2']) expect((await http(hub.url, 'POST', '/cli/machines', { token: token('gina'), body: { id, metadata: MACHINE_METADATA } })).status).to.equal(200);
    const m3 = await http(hub.url, 'POST', '/cli/machines', { token: token('gina'), body: { id: 'gina-m3', metadata: MACHINE_METADATA } });
    expect(m3.status).to.equal(429);
    expect(m3.json).to.deep.equal({ error: 'Too many machines in this namespace (at most 2)' });
    expect((await http(hub.url, 'POST', '/cli/machines', { token: token('gina'), body: { id: 'gina-m1', metadata: MACHINE_METADATA } })).status).to.equal(200);
  });

  it('when a large body comes without a credential, then it is refused before it is read', async () => {
    const r = await httpDeclaredBody(hub.url, 'POST', '/cli/machines', { 'content-type': 'application/json' }, 5 * 1024 * 1024, '{"id":');
    expect(r.status).to.equal(401);
    expect(JSON.parse(r.text)).to.deep.equal({ error: 'Missing Authorization header' });
  });

  it('when a socket sends a large frame before it authenticates, then it is refused unread and its connection closed; after it authenticates, large frames are read', async () => {
    // The handshake itself is one frame: 200 KB of it is more than an unauthenticated connection may send.
    expect(await connectOutcome(hub.url, 'x'.repeat(200_000))).to.equal('Handshake too large (at most 16384 bytes before authentication)');
    expect(await connectOutcome(hub.url, 'x'.repeat(1000))).to.equal('Invalid token');
    const session = await createCliSession(hub.url, token('ivan'));
    const s = await cli('ivan', { sessionId: session.id });
    // 60 KB is more than a connection may send before it authenticates (16 KiB here): read now.
    s.socket.emit('message', { sid: session.id, message: 'm'.repeat(60_000) });
    expect((await s.waitEvent('error', (e) => e.code === 'limit-exceeded')).message).to.match(/^Message too large \(\d+ bytes; at most 4096\)$/);
    s.socket.emit('message', { sid: session.id, message: 'm'.repeat(200_000) });
    expect((await s.waitEvent('error', (e) => /^Event message too large/.test(e.message))).scope).to.equal('session');
    expect(s.socket.connected).to.equal(true);
  });

  it('when a connection never authenticates on a namespace, then it is closed after the connect timeout; the main namespace is refused', async () => {
    const m = new Manager(hub.url, { path: '/socket.io/', transports: ['websocket'], reconnection: false, autoConnect: false });
    const closed = new Promise<number>((resolve) => m.on('close', () => resolve(Date.now())));
    const opened = new Promise<number>((resolve) => m.on('open', () => resolve(Date.now())));
    m.open();
    const t0 = await opened;
    const t1 = await closed;
    expect(t1 - t0).to.be.within(1000, 6000);

    const m2 = new Manager(hub.url, { path: '/socket.io/', transports: ['websocket'], reconnection: false });
    const root = m2.socket('/', { auth: { token: token('ivan') } });
    const err = await new Promise<Error>((resolve) => root.once('connect_error', resolve));
    expect(err.message).to.equal('Invalid namespace');
    m2._close();
  });

  it("when the hub tells sockets of updates, then each namespace has its own seq and the id is random; bob's traffic does not move alice's seq", async () => {
    const aSession = await createCliSession(hub.url, token('judy'));
    const bSession = await createCliSession(hub.url, token('kim'));
    const a = await cli('judy', { sessionId: aSession.id });
    const b = await cli('kim', { sessionId: bSession.id });
    const aJwt = await webToken(hub.url, token('judy'));
    const bJwt = await webToken(hub.url, token('kim'));
    await activate(a, aSession.id, aJwt);
    await activate(b, bSession.id, bJwt);
    const send = (jwt: string, sid: string, text: string) => http(hub.url, 'POST', `/api/sessions/${sid}/messages`, { token: jwt, body: { text } });
    await send(aJwt, aSession.id, 'a1');
    const first = await a.waitEvent('update', (u) => u.body?.t === 'new-message');
    for (let i = 0; i < 5; i++) await send(bJwt, bSession.id, `b${i}`);
    await waitFor(() => b.events('update').length >= 5, { what: "kim's updates" });
    await send(aJwt, aSession.id, 'a2');
    const second = await a.waitEvent('update', (u) => u.body?.t === 'new-message' && u.id !== first.id);
    expect(second.seq).to.equal(first.seq + 1);
    for (const u of [first, second, ...b.events('update')]) expect(u.id).to.match(UUID);
  });
});
