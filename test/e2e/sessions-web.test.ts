import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import nodeHttp from 'node:http';
import { startHub, http, waitFor, SESSION_METADATA, type Hub } from '../helpers/hub-harness.js';
import { connectCli } from '../helpers/cli-socket.js';
import { openSse } from '../helpers/sse-client.js';

const MAX_BODY = 2 * 1024 * 1024;

/** Posts raw bytes; resolves with the first response even if the server answers before reading it all. */
function postRaw(base: string, urlPath: string, headers: Record<string, string>, body: Buffer): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = nodeHttp.request(`${base}${urlPath}`, { method: 'POST', headers: { ...headers, 'content-length': String(body.length) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', reject);
    });
    req.on('error', () => undefined); // EPIPE after an early 413 is expected
    req.end(body);
  });
}

describe('e2e web sessions and messages', function () {
  this.timeout(60_000);
  let hub: Hub;
  let alice: string;
  let aliceJwt: string;
  let bobJwt: string;
  const create = async (tag = randomUUID()) => (await http(hub.url, 'POST', '/cli/sessions', { token: alice, body: { tag, metadata: SESSION_METADATA } })).json.session;
  const messages = async (sid: string) => (await http(hub.url, 'GET', `/api/sessions/${sid}/messages`, { token: aliceJwt })).json.messages as any[];
  const sockets: Array<{ close(): void }> = [];
  /** A session with its CLI connected and heartbeating (HAPI takes web messages only for a live session). */
  const live = async () => {
    const s = await create();
    const sock = await connectCli(hub.url, alice, { sessionId: s.id });
    sockets.push(sock);
    sock.socket.emit('session-alive', { sid: s.id, time: Date.now(), thinking: false });
    await waitFor(async () => (await http(hub.url, 'GET', `/api/sessions/${s.id}`, { token: aliceJwt })).json.session.active, { what: 'active' });
    return s;
  };

  before(async () => {
    hub = await startHub({ env: { TEAMHUB_MAX_BODY_BYTES: String(MAX_BODY) } });
    alice = `${hub.baseToken}:alice`;
    const auth = async (t: string) => (await http(hub.url, 'POST', '/api/auth', { body: { accessToken: t } })).json.token as string;
    aliceJwt = await auth(alice);
    bobJwt = await auth(`${hub.baseToken}:bob`);
  });
  after(async () => {
    for (const sock of sockets) sock.close();
    await hub?.stop();
  });

  it("when alice and bob list sessions, then each sees only their own namespace's", async () => {
    const s = await create();
    const mine = await http(hub.url, 'GET', '/api/sessions?limit=1000', { token: aliceJwt });
    expect(mine.status).to.equal(200);
    expect(mine.json.sessions.map((x: any) => x.id)).to.include(s.id);
    expect(mine.json.sessions[0]).to.include.keys('pendingRequestsCount', 'futureScheduledMessageCount', 'nextScheduledAt');
    const theirs = await http(hub.url, 'GET', '/api/sessions', { token: bobJwt });
    expect(theirs.json.sessions.map((x: any) => x.id)).not.to.include(s.id);
    const one = await http(hub.url, 'GET', '/api/sessions?limit=1', { token: aliceJwt });
    expect(one.json.sessions).to.have.length(1);
  });

  it('when bob asks for, renames or deletes alice\'s session, then 403 and nothing changes', async () => {
    const s = await create();
    expect((await http(hub.url, 'GET', `/api/sessions/${s.id}`, { token: bobJwt })).json).to.deep.equal({ error: 'Session access denied' });
    const rn = await http(hub.url, 'PATCH', `/api/sessions/${s.id}`, { token: bobJwt, body: { name: 'pwned' } });
    expect(rn.status).to.equal(403);
    const del = await http(hub.url, 'DELETE', `/api/sessions/${s.id}`, { token: bobJwt });
    expect(del.status).to.equal(403);
    const post = await http(hub.url, 'POST', `/api/sessions/${s.id}/messages`, { token: bobJwt, body: { text: 'x' } });
    expect(post.status).to.equal(403);
    const unknown = await http(hub.url, 'GET', `/api/sessions/${randomUUID()}`, { token: aliceJwt });
    expect(unknown.status).to.equal(404);
    expect(unknown.json).to.deep.equal({ error: 'Session not found' });
    const got = (await http(hub.url, 'GET', `/api/sessions/${s.id}`, { token: aliceJwt })).json.session;
    expect(got.metadata).to.deep.equal(SESSION_METADATA);
    expect(await messages(s.id)).to.have.length(0);
  });

  it('when alice renames, archives and deletes, then the session follows', async () => {
    // Without a CLI, a session whose metadata says it is running is archived by the hub itself.
    const s = (await http(hub.url, 'POST', '/cli/sessions', { token: alice, body: { tag: randomUUID(), metadata: { ...SESSION_METADATA, lifecycleState: 'running' } } })).json.session;
    expect((await http(hub.url, 'PATCH', `/api/sessions/${s.id}`, { token: aliceJwt, body: { name: 'renamed' } })).json).to.deep.equal({ ok: true });
    expect((await http(hub.url, 'GET', `/api/sessions/${s.id}`, { token: aliceJwt })).json.session.metadata.name).to.equal('renamed');
    expect((await http(hub.url, 'POST', `/api/sessions/${s.id}/archive`, { token: aliceJwt, body: {} })).json).to.deep.equal({ ok: true });
    const archived = (await http(hub.url, 'GET', `/api/sessions/${s.id}`, { token: aliceJwt })).json.session.metadata;
    expect(archived).to.include({ name: 'renamed', lifecycleState: 'archived', archivedBy: 'hub', archiveReason: 'Archived from hub (CLI unreachable)' });
    expect((await http(hub.url, 'POST', `/api/sessions/${s.id}/archive`, { token: aliceJwt, body: {} })).json).to.deep.equal({ ok: true, alreadyArchived: true });
    expect((await http(hub.url, 'DELETE', `/api/sessions/${s.id}`, { token: aliceJwt })).json).to.deep.equal({ ok: true });
    expect((await http(hub.url, 'GET', `/api/sessions/${s.id}`, { token: aliceJwt })).status).to.equal(404);
  });

  it('when the session is active, then DELETE answers 409', async () => {
    const s = await create();
    const sock = await connectCli(hub.url, alice, { sessionId: s.id });
    try {
      sock.socket.emit('session-alive', { sid: s.id, time: Date.now(), thinking: false });
      await waitFor(async () => (await http(hub.url, 'GET', `/api/sessions/${s.id}`, { token: aliceJwt })).json.session.active);
      const del = await http(hub.url, 'DELETE', `/api/sessions/${s.id}`, { token: aliceJwt });
      expect(del.status).to.equal(409);
    } finally {
      sock.close();
    }
  });

  it('when message content has $-prefixed and dotted values, then they round-trip unchanged', async () => {
    const s = await live();
    const text = '{"$where":"1"}';
    const attachments = [{ id: '$where', filename: 'a.b', mimeType: '{"$gt":0}', size: 1, path: '/tmp/__proto__' }];
    const res = await http(hub.url, 'POST', `/api/sessions/${s.id}/messages`, { token: aliceJwt, body: { text, attachments, localId: 'rt-1' } });
    expect(res.status, res.text).to.equal(200);
    const [m] = await messages(s.id);
    expect(m.content).to.deep.equal({ role: 'user', content: { type: 'text', text, attachments }, meta: { sentFrom: 'webapp', deliveryMode: 'queue' } });
    expect(m.localId).to.equal('rt-1');
    expect(m.invokedAt).to.equal(null);
  });

  it('when the body is 1 MB, then it is accepted; above the limit, 413 and nothing written', async () => {
    const s = await live();
    const big = 'x'.repeat(1024 * 1024);
    const ok = await http(hub.url, 'POST', `/api/sessions/${s.id}/messages`, { token: aliceJwt, body: { text: big } });
    expect(ok.status, ok.text.slice(0, 200)).to.equal(200);
    const tooBig = Buffer.from(JSON.stringify({ text: 'y'.repeat(MAX_BODY + 10) }));
    const res = await postRaw(hub.url, `/api/sessions/${s.id}/messages`, { authorization: `Bearer ${aliceJwt}`, 'content-type': 'application/json' }, tooBig);
    expect(res.status).to.equal(413);
    const stored = await messages(s.id);
    expect(stored).to.have.length(1);
    expect(stored[0].content.content.text).to.have.length(big.length);
  });

  it('when the body is invalid UTF-8 or not the schema, then 400 Invalid body and nothing written', async () => {
    const s = await live();
    const bad = Buffer.concat([Buffer.from('{"text":"'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}')]);
    const res = await postRaw(hub.url, `/api/sessions/${s.id}/messages`, { authorization: `Bearer ${aliceJwt}`, 'content-type': 'application/json' }, bad);
    expect(res.status).to.equal(400);
    expect(JSON.parse(res.text)).to.deep.equal({ error: 'Invalid body' });
    const noText = await http(hub.url, 'POST', `/api/sessions/${s.id}/messages`, { token: aliceJwt, body: { localId: 'x' } });
    expect(noText.status).to.equal(400);
    expect(await messages(s.id)).to.have.length(0);
  });

  it('when visibility is reported for an open stream, then it answers ok; an unknown subscription is 404 (as HAPI); a bad body is 400', async () => {
    const stream = await openSse(hub.url, '/api/events?all=true', { token: aliceJwt });
    try {
      const subscriptionId = (await stream.waitFrame((f) => f.data?.type === 'connection-changed')).data.data.subscriptionId as string;
      const ok = await http(hub.url, 'POST', '/api/visibility', { token: aliceJwt, body: { subscriptionId, visibility: 'visible' } });
      expect(ok.json).to.deep.equal({ ok: true });
    } finally {
      stream.close();
    }
    const unknown = await http(hub.url, 'POST', '/api/visibility', { token: aliceJwt, body: { subscriptionId: randomUUID(), visibility: 'hidden' } });
    expect([unknown.status, unknown.json]).to.deep.equal([404, { error: 'Subscription not found' }]);
    const bad = await http(hub.url, 'POST', '/api/visibility', { token: aliceJwt, body: { visibility: 'sideways' } });
    expect(bad.status).to.equal(400);
  });
});
