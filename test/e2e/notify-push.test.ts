import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { startHub, http, waitFor, SESSION_METADATA, type Hub } from '../helpers/hub-harness.js';
import { connectCli, type CliSocket } from '../helpers/cli-socket.js';
import { openSse, type SseClient } from '../helpers/sse-client.js';
import { PushServiceStub, type StubSubscription } from '../browser/push-service-stub.js';

type Who = 'alice' | 'bob';

/**
 * Web Push through real processes: TWO gateway replicas and TWO notify replicas on one NATS, a
 * CLI socket (socket.io-client) on the second gateway, and a loopback push service that decrypts
 * what it gets (HTTPS, the hub trusting its certificate through NODE_EXTRA_CA_CERTS). Each
 * namespace's notifications reach only its own subscriptions, once whatever the replicas, and a
 * visible page gets a toast instead, wherever the page and its visibility change landed.
 */
describe('e2e notify: Web Push per namespace, toasts for visible pages, once across replicas', function () {
  this.timeout(120_000);
  let hub: Hub;
  let push: PushServiceStub;
  const jwt: Record<Who, string> = { alice: '', bob: '' };
  const subs = {} as Record<Who, StubSubscription>;
  const sockets: CliSocket[] = [];
  const streams: SseClient[] = [];
  const token = (who: Who) => `${hub.baseToken}:${who}`;
  const web = (who: Who, method: string, path: string, body?: unknown, gateway = 0) => http(hub.urls[gateway]!, method, path, { token: jwt[who], body });
  const pushesTo = (who: Who) => push.to(subs[who]);

  /** An active session of `who` with its CLI on the second gateway; returns a way to raise requests on it. */
  async function liveSession(who: Who, name: string) {
    const created = await http(hub.url, 'POST', '/cli/sessions', { token: token(who), body: { tag: `push-${name}-${randomBytes(3).toString('hex')}`, metadata: { ...SESSION_METADATA, name, flavor: 'claude' }, agentState: {} } });
    expect(created.status, created.text).to.equal(200);
    const id = created.json.session.id as string;
    let version = created.json.session.agentStateVersion as number;
    const cli = await connectCli(hub.urls[1]!, token(who), { sessionId: id });
    sockets.push(cli);
    cli.socket.emit('session-alive', { sid: id, time: Date.now(), thinking: false, mode: 'remote' });
    await waitFor(async () => (await http(hub.url, 'GET', `/cli/sessions/${id}`, { token: token(who) })).json?.session?.active === true, { timeoutMs: 15_000, what: `${name} active` });
    const requests: Record<string, unknown> = {};
    return {
      id,
      async ask(requestId: string, command = 'make test') {
        requests[requestId] = { tool: 'Bash', arguments: { command }, createdAt: Date.now() };
        const st = await cli.ack('update-state', { sid: id, expectedVersion: version, agentState: { requests } });
        expect(st.result, JSON.stringify(st)).to.equal('success');
        version = st.version as number;
      },
      ready() {
        cli.socket.emit('message', { sid: id, localId: `ready-${randomBytes(3).toString('hex')}`, message: { role: 'agent', content: { type: 'event', data: { type: 'ready' } }, meta: { sentFrom: 'cli' } } });
      },
    };
  }

  /** Bob's own request, pushed to him: once it arrived, anything sent to alice before it would have too. */
  async function bobFence(): Promise<void> {
    const before = pushesTo('bob').length;
    const b = await liveSession('bob', `fence-${randomBytes(2).toString('hex')}`);
    await b.ask(`fence-${randomBytes(3).toString('hex')}`);
    await waitFor(() => pushesTo('bob').length > before, { timeoutMs: 20_000, what: "bob's fence push" });
  }

  before(async function () {
    this.timeout(180_000);
    push = await PushServiceStub.start();
    hub = await startHub({ gateways: 2, notifyReplicas: 2, env: push.hubEnv });
    for (const who of ['alice', 'bob'] as const) {
      const r = await http(hub.url, 'POST', '/api/auth', { body: { accessToken: token(who) } });
      expect(r.status, r.text).to.equal(200);
      jwt[who] = r.json.token;
      subs[who] = push.subscribe(who);
    }
  });
  after(async () => {
    for (const s of sockets) s.close();
    for (const s of streams) s.close();
    await hub?.stop();
    await push?.stop();
  });

  it('when every gateway is asked for the VAPID key, then they answer the same key, a P-256 point in URL-safe base64', async () => {
    const [a, b] = await Promise.all([web('alice', 'GET', '/api/push/vapid-public-key', undefined, 0), web('bob', 'GET', '/api/push/vapid-public-key', undefined, 1)]);
    expect(a.status).to.equal(200);
    expect(a.json.publicKey).to.match(/^[A-Za-z0-9_-]{87}$/).and.equal(b.json.publicKey);
    expect(Buffer.from(a.json.publicKey, 'base64url')[0], 'an uncompressed point').to.equal(4);
  });

  it('when subscribe bodies are bad, then 400 Invalid body, and nothing was stored', async () => {
    for (const body of [{}, { endpoint: subs.alice.endpoint }, { endpoint: 'x'.repeat(5000), keys: { p256dh: 'a', auth: 'b' } }, { endpoint: 'https://e', keys: { p256dh: '', auth: 'b' } }]) {
      const r = await web('alice', 'POST', '/api/push/subscribe', body);
      expect([r.status, r.json]).to.deep.equal([400, { error: 'Invalid body' }]);
    }
    const raw = await http(hub.url, 'POST', '/api/push/subscribe', { token: jwt.alice, rawBody: '{"endpoint":', headers: { 'content-type': 'application/json' } });
    expect(raw.status).to.equal(400);
  });

  it('when alice and bob subscribe (on different gateways) and alice\'s agent asks, then alice\'s subscription gets exactly one VAPID-signed encrypted push, bob\'s none', async () => {
    expect((await web('alice', 'POST', '/api/push/subscribe', subs.alice, 0)).json).to.deep.equal({ ok: true });
    expect((await web('bob', 'POST', '/api/push/subscribe', subs.bob, 1)).json).to.deep.equal({ ok: true });
    const vapid = (await web('alice', 'GET', '/api/push/vapid-public-key')).json.publicKey as string;
    const s = await liveSession('alice', 'fix-add');
    await s.ask('toolu-1', 'npm publish');
    const got = await waitFor(() => pushesTo('alice')[0] ?? null, { timeoutMs: 20_000, what: "alice's push" });
    expect(got.headers['content-encoding']).to.equal('aes128gcm');
    expect(String(got.headers.authorization)).to.match(new RegExp(`^vapid t=[^,]+, k=${vapid}$`));
    expect(got.payload).to.deep.equal({
      title: 'Permission Request',
      body: 'fix-add (Bash)',
      tag: `permission-${s.id}`,
      data: { type: 'permission-request', sessionId: s.id, url: `/sessions/${s.id}`, requestId: 'toolu-1' },
    });
    // The same request in a later session event (the agent state written again) is not pushed again.
    await s.ask('toolu-1', 'npm publish');
    await bobFence();
    expect(pushesTo('alice'), 'alice got exactly one push').to.have.length(1);
    expect(pushesTo('bob').every((p) => JSON.stringify(p.payload).includes(s.id) === false), 'bob got alice\'s request').to.equal(true);
  });

  it('when alice\'s agent finishes its turn (ready), then her device is told it waits for input, once within the cool-down', async () => {
    const s = await liveSession('alice', 'ready-check');
    const before = pushesTo('alice').length;
    s.ready();
    s.ready();
    const got = await waitFor(() => pushesTo('alice').slice(before).find((p) => (p.payload as { data?: { sessionId?: string } }).data?.sessionId === s.id) ?? null, { timeoutMs: 20_000, what: 'ready push' });
    expect(got.payload).to.deep.include({ title: 'Ready for input', body: 'Claude is waiting in ready-check' });
    await bobFence();
    expect(pushesTo('alice').slice(before).filter((p) => (p.payload as { title: string }).title === 'Ready for input')).to.have.length(1);
  });

  it('when alice\'s page is visible (stream on one gateway, visibility set through the other), then the request is a toast on that page, not a push; bob cannot hide her page', async () => {
    const stream = await openSse(hub.urls[1]!, '/api/events?all=true&visibility=hidden', { token: jwt.alice });
    streams.push(stream);
    const hello = await stream.waitFrame((f) => f.data?.type === 'connection-changed');
    const subscriptionId = hello.data.data.subscriptionId as string;
    expect((await web('alice', 'POST', '/api/visibility', { subscriptionId, visibility: 'visible' }, 0)).json).to.deep.equal({ ok: true });
    const foreign = await web('bob', 'POST', '/api/visibility', { subscriptionId, visibility: 'hidden' }, 0);
    expect([foreign.status, foreign.json]).to.deep.equal([404, { error: 'Subscription not found' }]);
    const before = pushesTo('alice').length;
    const s = await liveSession('alice', 'visible');
    await s.ask('toolu-v');
    const toast = await stream.waitFrame((f) => f.data?.type === 'toast' && f.data.data?.sessionId === s.id, 20_000);
    expect(toast.data).to.deep.equal({ type: 'toast', data: { title: 'Permission Request', body: 'visible (Bash)', sessionId: s.id, url: `/sessions/${s.id}` }, namespace: 'alice' });
    expect(toast.id, 'toasts are not replayable').to.equal(undefined);
    await bobFence();
    expect(pushesTo('alice').length, 'a visible page suppresses the push').to.equal(before);
    expect(stream.frames.filter((f) => f.data?.type === 'toast'), 'one toast').to.have.length(1);

    // Hidden again (through the gateway holding the stream this time): the next request is pushed.
    expect((await web('alice', 'POST', '/api/visibility', { subscriptionId, visibility: 'hidden' }, 1)).json).to.deep.equal({ ok: true });
    await s.ask('toolu-h');
    // (HAPI's push names the session's first pending request, still toolu-v here.)
    await waitFor(() => pushesTo('alice').slice(before).find((p) => (p.payload as { data: { sessionId: string } }).data.sessionId === s.id) ?? null, { timeoutMs: 20_000, what: 'push after hiding' });
    expect(stream.frames.filter((f) => f.data?.type === 'toast')).to.have.length(1);
  });

  it('when a stream is closed, then its subscription id is not found any more', async () => {
    const stream = await openSse(hub.url, '/api/events?all=true&visibility=visible', { token: jwt.alice });
    const id = (await stream.waitFrame((f) => f.data?.type === 'connection-changed')).data.data.subscriptionId as string;
    stream.close();
    await waitFor(async () => (await web('alice', 'POST', '/api/visibility', { subscriptionId: id, visibility: 'visible' })).status === 404, { timeoutMs: 10_000, what: 'closed stream forgotten' });
  });

  it('when bob unsubscribes alice\'s endpoint, then she still gets pushes; when she unsubscribes, she gets none', async () => {
    expect((await web('bob', 'DELETE', '/api/push/subscribe', { endpoint: subs.alice.endpoint })).json).to.deep.equal({ ok: true });
    const s = await liveSession('alice', 'after-bob');
    const before = pushesTo('alice').length;
    await s.ask('toolu-kept');
    await waitFor(() => pushesTo('alice').length > before, { timeoutMs: 20_000, what: 'push still delivered' });
    expect((await web('alice', 'DELETE', '/api/push/subscribe', { endpoint: subs.alice.endpoint })).json).to.deep.equal({ ok: true });
    const after = pushesTo('alice').length;
    await s.ask('toolu-gone');
    await bobFence();
    expect(pushesTo('alice').length).to.equal(after);
  });

  it('when devices register, then HAPI\'s answers: ios needs a 32-byte key, bad bodies list their issues', async () => {
    const key = randomBytes(32).toString('base64');
    expect((await web('alice', 'POST', '/api/devices/register', { token: 'fcm-1', platform: 'ios', deviceId: 'iphone', pushKey: key })).json).to.deep.equal({ ok: true });
    expect((await web('alice', 'POST', '/api/devices/register', { token: 'fcm-2', platform: 'wear', deviceId: 'watch' })).json).to.deep.equal({ ok: true });
    const bad = await web('alice', 'POST', '/api/devices/register', { token: 'fcm-3', platform: 'ios', deviceId: 'ipad', pushKey: randomBytes(16).toString('base64') });
    expect(bad.status).to.equal(400);
    expect(bad.json).to.deep.equal({ error: 'Invalid body', issues: { formErrors: [], fieldErrors: { pushKey: ['pushKey must be base64 of exactly 32 bytes (required for ios)'] } } });
    const unknown = await web('alice', 'POST', '/api/devices/register', { token: 't', platform: 'desktop', deviceId: 'd' });
    expect(unknown.status).to.equal(400);
    expect(Object.keys(unknown.json.issues.fieldErrors)).to.deep.equal(['platform']);
    expect((await web('bob', 'DELETE', '/api/devices/register', { token: 'fcm-1' })).json).to.deep.equal({ ok: true });
    expect((await web('alice', 'DELETE', '/api/devices/register', {})).status).to.equal(400);
  });
});
