import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { startHub, http, waitFor, webToken, createCliSession, type Hub } from '../helpers/hub-harness.js';
import { connectCli, type CliSocket } from '../helpers/cli-socket.js';
import { openSse, type SseClient } from '../helpers/sse-client.js';

const createSession = (hub: Hub, token: string, tag?: string) => createCliSession(hub.url, token, tag);
const jwt = (hub: Hub, accessToken: string) => webToken(hub.url, accessToken);

describe('e2e live: two gateway replicas', function () {
  this.timeout(60_000);
  let hub: Hub;
  let r1: string;
  let r2: string;
  let alice: string;
  let bob: string;
  let aliceJwt: string;
  let bobJwt: string;
  const closers: Array<{ close(): void }> = [];
  const cli = async (url: string, token: string, sessionId: string) => {
    const s = await connectCli(url, token, { sessionId });
    closers.push(s);
    return s;
  };
  const sse = async (url: string, path: string, token: string, headers?: Record<string, string>) => {
    const c = await openSse(url, path, { token, headers });
    closers.push(c);
    return c;
  };
  const activate = async (s: CliSocket, sid: string) => {
    s.socket.emit('session-alive', { sid, time: Date.now(), thinking: false });
    await waitFor(async () => (await http(r2, 'GET', `/api/sessions/${sid}`, { token: aliceJwt })).json.session.active === true, { what: 'active' });
  };

  before(async () => {
    hub = await startHub({ gateways: 2, env: { TEAMHUB_SESSION_TIMEOUT_MS: '30000', TEAMHUB_SWEEP_INTERVAL_MS: '200', TEAMHUB_REPLICA_LEASE_MS: '1500' } });
    [r1, r2] = hub.urls as [string, string];
    alice = `${hub.baseToken}:alice`;
    bob = `${hub.baseToken}:bob`;
    aliceJwt = await jwt(hub, alice);
    bobJwt = await jwt(hub, bob);
  });
  afterEach(() => {
    for (const c of closers.splice(0)) c.close();
  });
  after(async () => {
    await hub?.stop();
  });

  it('when the web posts a message on replica 2, then the CLI socket on replica 1 gets update new-message', async () => {
    const session = await createSession(hub, alice);
    const s = await cli(r1, alice, session.id);
    await activate(s, session.id);
    const res = await http(r2, 'POST', `/api/sessions/${session.id}/messages`, { token: aliceJwt, body: { text: 'hello cli', localId: 'l-1' } });
    expect(res.status, res.text).to.equal(200);
    expect(res.json).to.deep.equal({ ok: true });
    const upd = await s.waitEvent('update', (u) => u.body?.t === 'new-message', 1000);
    expect(upd.body.sid).to.equal(session.id);
    expect(upd.body.message.localId).to.equal('l-1');
    expect(upd.body.message.content).to.deep.equal({ role: 'user', content: { type: 'text', text: 'hello cli' }, meta: { sentFrom: 'webapp', deliveryMode: 'queue' } });
  });

  it('when a CLI message is stored, then its own socket is not echoed but SSE on replica 2 shows it', async () => {
    const session = await createSession(hub, alice);
    const stream = await sse(r2, `/api/events?sessionId=${session.id}`, aliceJwt);
    expect(stream.status).to.equal(200);
    await stream.waitFrame((f) => f.data?.type === 'connection-changed');
    const s = await cli(r1, alice, session.id);
    s.socket.emit('message', { sid: session.id, message: { role: 'agent', content: { type: 'output', data: 'from r1' } } });
    const f = await stream.waitFrame((fr) => fr.data?.type === 'message-received');
    expect(f.data.namespace).to.equal('alice');
    expect(f.data.message.content.content.data).to.equal('from r1');
    expect(f.id).to.be.a('string');
    await s.ack('ping');
    expect(s.events('update').filter((u) => u.body?.t === 'new-message')).to.have.length(0);
  });

  it('when the web approves a permission on replica 2, then the CLI permission RPC on replica 1 runs and its ack returns', async () => {
    const session = await createSession(hub, alice);
    const s = await cli(r1, alice, session.id);
    const calls: any[] = [];
    s.socket.on('rpc-request', (req: { method: string; params: string }, ack: (r: string) => void) => {
      calls.push(req);
      ack(JSON.stringify({ ok: true }));
    });
    s.socket.emit('rpc-register', { method: `${session.id}:permission` });
    await activate(s, session.id);
    const st = await s.ack('update-state', { sid: session.id, expectedVersion: 1, agentState: { requests: { 'req-1': { tool: 'Bash', arguments: {} } } } });
    expect(st.result).to.equal('success');
    const missing = await http(r2, 'POST', `/api/sessions/${session.id}/permissions/nope/approve`, { token: aliceJwt, body: {} });
    expect(missing.status).to.equal(404);
    expect(missing.json).to.deep.equal({ error: 'Request not found' });
    const res = await http(r2, 'POST', `/api/sessions/${session.id}/permissions/req-1/approve`, { token: aliceJwt, body: { mode: 'default' } });
    expect(res.status, res.text).to.equal(200);
    expect(res.json).to.deep.equal({ ok: true });
    expect(calls).to.have.length(1);
    expect(calls[0].method).to.equal(`${session.id}:permission`);
    expect(JSON.parse(calls[0].params)).to.deep.equal({ id: 'req-1', approved: true, mode: 'default' });
    const denied = await http(r2, 'POST', `/api/sessions/${session.id}/permissions/req-1/approve`, { token: bobJwt, body: {} });
    expect(denied.status).to.equal(403);
    expect(denied.json).to.deep.equal({ error: 'Session access denied' });

    s.socket.emit('rpc-unregister', { method: `${session.id}:permission` });
    await s.ack('ping');
    const gone = await http(r2, 'POST', `/api/sessions/${session.id}/permissions/req-1/deny`, { token: aliceJwt, body: {} });
    expect(gone.status).to.equal(503);
    expect(gone.json.code).to.equal('rpc_target_missing');
  });

  it('when the session is inactive, then routes that need the CLI answer 409 session_inactive', async () => {
    const session = await createSession(hub, alice);
    const res = await http(r2, 'POST', `/api/sessions/${session.id}/abort`, { token: aliceJwt, body: {} });
    expect(res.status).to.equal(409);
    expect(res.json).to.deep.equal({ error: 'Session is inactive', code: 'session_inactive' });
  });

  it('when the CLI socket was away while 5 messages were posted, then the backfill returns exactly those 5 in order', async () => {
    const session = await createSession(hub, alice);
    const s = await cli(r1, alice, session.id);
    await activate(s, session.id);
    s.socket.emit('message', { sid: session.id, message: { role: 'agent', content: { type: 'output', data: 0 } } });
    await waitFor(async () => (await http(r1, 'GET', `/cli/sessions/${session.id}/messages?afterSeq=0`, { token: alice })).json.messages.length === 1);
    // Gone without a word: the session stays live until its heartbeat window runs out.
    s.close();
    for (let i = 1; i <= 5; i++) {
      const r = await http(r2, 'POST', `/api/sessions/${session.id}/messages`, { token: aliceJwt, body: { text: `m${i}`, localId: `b-${i}` } });
      expect(r.status).to.equal(200);
    }
    const again = await cli(r2, alice, session.id);
    await again.ack('ping');
    const back = await http(r2, 'GET', `/cli/sessions/${session.id}/messages?afterSeq=1`, { token: alice });
    expect(back.json.messages.map((m: any) => m.content.content.text)).to.deep.equal(['m1', 'm2', 'm3', 'm4', 'm5']);
    expect(back.json.messages.map((m: any) => m.seq)).to.deep.equal([2, 3, 4, 5, 6]);
    const page = await http(r2, 'GET', `/api/sessions/${session.id}/messages?limit=4`, { token: aliceJwt });
    // HAPI's latest page: the 4 newest, plus the messages still queued (none was taken), all in order.
    expect(page.json.messages.map((m: any) => m.seq)).to.deep.equal([2, 3, 4, 5, 6]);
    expect(page.json.page).to.deep.include({ direction: 'latest', limit: 4, nextBeforeSeq: 3, hasMore: true });
  });

  it('when an SSE client reconnects to the other replica with Last-Event-ID, then it gets exactly the missed events in order', async () => {
    const session = await createSession(hub, alice);
    await activate(await cli(r1, alice, session.id), session.id);
    const first = await sse(r1, `/api/events?all=true`, aliceJwt);
    await first.waitFrame((f) => f.data?.type === 'connection-changed');
    await http(r1, 'POST', `/api/sessions/${session.id}/messages`, { token: aliceJwt, body: { text: 'seen' } });
    const seen = await first.waitFrame((f) => f.data?.type === 'message-received' && f.data.message.content.content.text === 'seen');
    first.close();
    for (const text of ['x1', 'x2', 'x3']) await http(r1, 'POST', `/api/sessions/${session.id}/messages`, { token: aliceJwt, body: { text } });
    const second = await sse(r2, `/api/events?all=true&lastEventId=ignored`, aliceJwt, { 'last-event-id': seen.id! });
    const hello = await second.waitFrame((f) => f.data?.type === 'connection-changed');
    expect(hello.data.data.resume).to.equal('ok');
    await second.waitFrame((f) => f.data?.message?.content?.content?.text === 'x3');
    const texts = second.events().map((f) => f.data.message.content.content.text);
    expect(texts).to.deep.equal(['x1', 'x2', 'x3']);
    expect(second.events().every((f) => typeof f.id === 'string' && f.data.namespace === 'alice')).to.equal(true);

    // Live events keep flowing after the replay.
    await http(r2, 'POST', `/api/sessions/${session.id}/messages`, { token: aliceJwt, body: { text: 'x4' } });
    await second.waitFrame((f) => f.data?.message?.content?.content?.text === 'x4');

    const fresh = await sse(r2, `/api/events?all=1`, aliceJwt);
    expect((await fresh.waitFrame((f) => f.data?.type === 'connection-changed')).data.data.resume).to.equal('gap');
    expect(fresh.headers.get('content-type')).to.equal('text/event-stream');
    const bogus = await sse(r2, `/api/events?all=1&lastEventId=AAAA`, aliceJwt);
    expect((await bogus.waitFrame((f) => f.data?.type === 'connection-changed')).data.data.resume).to.equal('gap');
    expect(bogus.events()).to.have.length(0);
  });

  it("when bob streams events, even with alice's lastEventId, then he never sees hers", async () => {
    const session = await createSession(hub, alice);
    await activate(await cli(r1, alice, session.id), session.id);
    const aliceStream = await sse(r1, `/api/events?all=true`, aliceJwt);
    await aliceStream.waitFrame((f) => f.data?.type === 'connection-changed');
    await http(r1, 'POST', `/api/sessions/${session.id}/messages`, { token: aliceJwt, body: { text: 'secret' } });
    const hers = await aliceStream.waitFrame((f) => f.data?.type === 'message-received');
    const bobStream = await sse(r2, `/api/events?all=true`, bobJwt, { 'last-event-id': hers.id! });
    const hello = await bobStream.waitFrame((f) => f.data?.type === 'connection-changed');
    expect(hello.data.data.resume).to.equal('gap');
    await http(r1, 'POST', `/api/sessions/${session.id}/messages`, { token: aliceJwt, body: { text: 'secret2' } });
    const bobSession = await createSession(hub, bob);
    await bobStream.waitFrame((f) => f.data?.type === 'session-added' && f.data.sessionId === bobSession.id);
    expect(bobStream.events().every((f) => f.data.namespace === 'bob')).to.equal(true);
    expect(JSON.stringify(bobStream.frames)).not.to.contain('secret');
    const forbidden = await http(r2, 'GET', `/api/events?sessionId=${session.id}&token=${bobJwt}`);
    expect(forbidden.status).to.equal(403);
    expect(forbidden.json).to.deep.equal({ error: 'Session access denied' });
    const unknown = await http(r2, 'GET', `/api/events?sessionId=${randomUUID()}&token=${bobJwt}`);
    expect(unknown.status).to.equal(404);
    expect(unknown.json).to.deep.equal({ error: 'Session not found' });
    const noAuth = await http(r2, 'GET', `/api/events`);
    expect(noAuth.json).to.deep.equal({ error: 'Missing authorization token' });
  });
});
