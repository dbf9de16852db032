import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { startHub, http, waitFor, SESSION_METADATA, webToken, createCliSession, type Hub } from '../helpers/hub-harness.js';
import { connectCli, type CliSocket } from '../helpers/cli-socket.js';
import { openSse } from '../helpers/sse-client.js';
import { connect } from '@nats-io/transport-node';
import { entityWildcard } from '../../lib/nats/subjects.js';
import type { Namespace } from '../../lib/namespace.js';

const createSession = (hub: Hub, token: string, tag?: string) => createCliSession(hub.url, token, tag);
const jwt = (hub: Hub, accessToken: string) => webToken(hub.url, accessToken);

const LIVE_ENV = {
  TEAMHUB_SESSION_TIMEOUT_MS: '1500',
  TEAMHUB_SWEEP_INTERVAL_MS: '200',
  TEAMHUB_REPLICA_LEASE_MS: '1500',
  TEAMHUB_SSE_HEARTBEAT_MS: '300',
};

describe('e2e live: a session-scoped CLI socket', function () {
  this.timeout(60_000);
  let hub: Hub;
  let alice: string;
  let bob: string;
  let aliceJwt: string;
  const sockets: CliSocket[] = [];
  const open = async (token: string, scope: { sessionId?: string; machineId?: string }) => {
    const s = await connectCli(hub.url, token, scope);
    sockets.push(s);
    return s;
  };

  before(async () => {
    hub = await startHub({ env: LIVE_ENV });
    alice = `${hub.baseToken}:alice`;
    bob = `${hub.baseToken}:bob`;
    aliceJwt = await jwt(hub, alice);
  });
  afterEach(() => {
    for (const s of sockets.splice(0)) s.close();
  });
  after(async () => {
    await hub?.stop();
  });

  it('when the token is bad, then the connect fails with Invalid token', async () => {
    const err = await connectCli(hub.url, 'wrong:alice', {}).then(
      () => null,
      (e: Error) => e,
    );
    expect(err?.message).to.equal('Invalid token');
  });

  it('when a browser Origin not in the allowed list connects, then the handshake is refused', async () => {
    const err = await connectCli(hub.url, alice, {}, { origin: 'https://evil.example' }).then(
      () => null,
      (e: Error) => e,
    );
    expect(err).to.be.instanceOf(Error);
  });

  it('when it sends messages and CAS updates, then they are stored and acked like HAPI', async () => {
    const session = await createSession(hub, alice);
    const s = await open(alice, { sessionId: session.id });
    s.socket.emit('message', { sid: session.id, message: { role: 'agent', content: { type: 'output', data: { $where: 'x', 'a.b': 1 } }, meta: { sentFrom: 'cli' } } });
    s.socket.emit('message', { sid: session.id, message: JSON.stringify({ role: 'agent', content: { type: 'output', data: 2 } }) });
    const msgs = await waitFor(async () => {
      const r = await http(hub.url, 'GET', `/cli/sessions/${session.id}/messages?afterSeq=0`, { token: alice });
      return r.json.messages.length === 2 ? r.json.messages : null;
    });
    expect(msgs[0].content.content.data).to.deep.equal({ $where: 'x', 'a.b': 1 });
    expect(msgs[1].content.content.data).to.equal(2);

    const md = { ...SESSION_METADATA, summary: { text: 'probe' } };
    const ok = await s.ack('update-metadata', { sid: session.id, expectedVersion: 1, metadata: md });
    expect(ok).to.deep.equal({ result: 'success', version: 2, metadata: md });
    const stale = await s.ack('update-metadata', { sid: session.id, expectedVersion: 1, metadata: { path: '/x', host: 'y' } });
    expect(stale).to.deep.equal({ result: 'version-mismatch', version: 2, metadata: md });
    const st = await s.ack('update-state', { sid: session.id, expectedVersion: 1, agentState: { requests: {} } });
    expect(st).to.deep.equal({ result: 'success', version: 2, agentState: { requests: {} } });
    await s.ack('ping');
  });

  it('when it sends session-alive, then the session goes active, and inactive after the window without one', async () => {
    const session = await createSession(hub, alice);
    const s = await open(alice, { sessionId: session.id });
    s.socket.emit('session-alive', { sid: session.id, time: Date.now(), thinking: false, mode: 'remote' });
    const get = async () => (await http(hub.url, 'GET', `/api/sessions/${session.id}`, { token: aliceJwt })).json.session;
    await waitFor(async () => (await get()).active === true, { what: 'active' });
    await waitFor(async () => (await get()).active === false, { timeoutMs: 6000, what: 'inactive after the window' });
  });

  it('when it sends 20 heartbeats while active, then nothing is written', async () => {
    const session = await createSession(hub, alice);
    const s = await open(alice, { sessionId: session.id });
    s.socket.emit('session-alive', { sid: session.id, time: Date.now(), thinking: false });
    const get = async () => (await http(hub.url, 'GET', `/api/sessions/${session.id}`, { token: aliceJwt })).json.session;
    const active = await waitFor(async () => {
      const cur = await get();
      return cur.active ? cur : null;
    });
    const nc = await connect({ servers: hub.natsUrl });
    const seen: string[] = [];
    const ns = 'alice' as Namespace;
    for (const entity of ['session', 'message'] as const) nc.subscribe(entityWildcard(ns, entity, session.id), { callback: (_e, m) => void seen.push(m.subject) });
    await nc.flush();
    for (let i = 0; i < 20; i++) {
      s.socket.emit('session-alive', { sid: session.id, time: Date.now(), thinking: false });
      await new Promise((r) => setTimeout(r, 20));
    }
    await s.ack('ping');
    await nc.flush();
    await nc.close();
    expect(seen).to.deep.equal([]);
    const after = await get();
    expect(after.updatedAt).to.equal(active.updatedAt);
    expect(after.activeAt).to.equal(active.activeAt);
    expect(after.seq).to.equal(active.seq);
  });

  it('when the agent starts thinking and then updates its state, then the stored session and every SSE update agree it is thinking', async () => {
    const session = await createSession(hub, alice);
    const sse = await openSse(hub.url, `/api/events?sessionId=${session.id}`, { token: aliceJwt });
    const s = await open(alice, { sessionId: session.id });
    s.socket.emit('session-alive', { sid: session.id, time: Date.now(), thinking: false });
    const get = async () => (await http(hub.url, 'GET', `/api/sessions/${session.id}`, { token: aliceJwt })).json.session;
    await waitFor(async () => (await get()).active === true, { what: 'active' });
    s.socket.emit('session-alive', { sid: session.id, time: Date.now(), thinking: true });
    await waitFor(async () => (await get()).thinking === true, { what: 'thinking stored' });
    const ack = await s.ack('update-state', { sid: session.id, expectedVersion: 1, agentState: { requests: { r1: { tool: 'Bash', arguments: {}, createdAt: Date.now() } } } });
    expect(ack.result).to.equal('success');
    const last = await sse.waitFrame((f) => f.data?.type === 'session-updated' && f.data?.data?.agentStateVersion === 2);
    expect(last.data.data.thinking, 'a later full update does not reset thinking').to.equal(true);
    expect((await get()).thinking).to.equal(true);
    sse.close();
  });

  it('when an SSE stream is idle, then heartbeats arrive without an id', async () => {
    const stream = await openSse(hub.url, `/api/events?token=${aliceJwt}&all=true`);
    try {
      expect(stream.status).to.equal(200);
      const hb = await stream.waitFrame((f) => f.data?.type === 'heartbeat');
      expect(hb.id).to.equal(undefined);
      expect(hb.data.namespace).to.equal('alice');
      expect(hb.data.data.timestamp).to.be.a('number');
      expect(stream.frames[0]!.data.type).to.equal('connection-changed');
      expect(stream.frames[0]!.id).to.equal(undefined);
    } finally {
      stream.close();
    }
  });

  it('when it sends session-end, then the session is inactive at once', async () => {
    const session = await createSession(hub, alice);
    const s = await open(alice, { sessionId: session.id });
    s.socket.emit('session-alive', { sid: session.id, time: Date.now(), thinking: false });
    const get = async () => (await http(hub.url, 'GET', `/api/sessions/${session.id}`, { token: aliceJwt })).json.session;
    await waitFor(async () => (await get()).active === true);
    s.socket.emit('session-end', { sid: session.id, time: Date.now(), reason: 'completed' });
    await waitFor(async () => (await get()).active === false, { timeoutMs: 1000, what: 'inactive on session-end' });
  });

  it('when the session is created right after the socket connected, then the socket adopts it on rpc-register', async () => {
    const sid = randomUUID();
    const s = await open(alice, { sessionId: sid });
    expect((await s.waitEvent('error')).code).to.equal('not-found');
    const res = await http(hub.url, 'POST', '/cli/sessions', { token: alice, body: { id: sid, tag: randomUUID(), metadata: SESSION_METADATA } });
    expect(res.status, res.text).to.equal(200);
    s.socket.emit('rpc-register', { method: `${sid}:abort` });
    // Registrations are handled in order (each checks its scope first), so the refusal of a
    // foreign one means the first was handled: the socket has adopted the session by then.
    s.socket.emit('rpc-register', { method: 'not-its-session:abort' });
    await s.waitEvent('error', (e) => e.scope === 'rpc');
    expect(s.events('error').filter((e) => e.scope === 'rpc').map((e) => e.id)).to.deep.equal(['not-its-session:abort']);
    s.socket.emit('session-alive', { sid, time: Date.now(), thinking: false });
    await waitFor(async () => (await http(hub.url, 'GET', `/api/sessions/${sid}`, { token: aliceJwt })).json.session.active === true, { what: 'active' });
    await http(hub.url, 'POST', `/api/sessions/${sid}/messages`, { token: aliceJwt, body: { text: 'adopted' } });
    const upd = await s.waitEvent('update', (u) => u.body?.t === 'new-message');
    expect(upd.body.message.content.content.text).to.equal('adopted');
  });

  it("when bob names alice's session, then he gets HAPI's errors and no access", async () => {
    const session = await createSession(hub, alice);
    const s = await open(bob, { sessionId: session.id });
    const err = await s.waitEvent('error');
    expect(err).to.deep.equal({ message: 'session access denied', code: 'access-denied', scope: 'session', id: session.id });
    const ack = await s.ack('update-metadata', { sid: session.id, expectedVersion: 1, metadata: { path: '/x', host: 'y' } });
    expect(ack).to.deep.equal({ result: 'error', reason: 'access-denied' });
    s.socket.emit('rpc-register', { method: `${session.id}:permission` });
    await s.waitEvent('error', (e) => e.scope === 'rpc');
    expect(s.events('error').find((e) => e.scope === 'rpc')).to.deep.equal({ message: 'rpc method not allowed', code: 'access-denied', scope: 'rpc', id: `${session.id}:permission` });
    s.socket.emit('message', { sid: session.id, message: { role: 'agent', content: { type: 'output', data: 'bob' } } });
    await s.ack('ping');
    const msgs = await http(hub.url, 'GET', `/cli/sessions/${session.id}/messages?afterSeq=0`, { token: alice });
    expect(msgs.json.messages).to.have.length(0);
    const unknown = await open(bob, { sessionId: randomUUID() });
    expect((await unknown.waitEvent('error')).code).to.equal('not-found');
  });
});
