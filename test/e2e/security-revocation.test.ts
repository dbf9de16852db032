import { expect } from 'chai';
import { io } from 'socket.io-client';
import { signInitData } from '../../lib/auth/telegram-init-data.js';
import { connectCli, type CliSocket } from '../helpers/cli-socket.js';
import { createCliSession, decodeJwt, http, startHub, waitFor, webToken, type Hub } from '../helpers/hub-harness.js';
import { openSse, type SseClient } from '../helpers/sse-client.js';
import { startTelegramStub, type TelegramStub } from '../helpers/telegram-stub.js';

/** When a socket was closed by the hub (its disconnect reason), or never. */
function serverClosed(s: CliSocket): Promise<number> {
  return new Promise((resolve) => {
    s.socket.on('disconnect', (reason) => {
      if (reason === 'io server disconnect') resolve(Date.now());
    });
  });
}

async function connectRefusal(url: string, token: string): Promise<string> {
  try {
    const s = await connectCli(url, token);
    s.close();
    return 'connected';
  } catch (err) {
    return (err as Error).message;
  }
}

/** The SSE stream is still open and delivering: a fresh event of its namespace reaches it. */
async function stillDelivers(sse: SseClient, url: string, token: string): Promise<void> {
  const tag = `fence-${Math.random().toString(36).slice(2)}`;
  const s = await createCliSession(url, token, tag);
  await sse.waitFrame((f) => JSON.stringify(f.data ?? {}).includes(s.id), 5000);
}

describe('e2e security: a revoked credential is out at once, on every gateway replica', function () {
  this.timeout(120_000);
  let stub: TelegramStub;
  let hub: Hub;
  let aliceToken = '';
  let bobToken = '';
  const opened: Array<{ close(): void }> = [];
  const admin = (method: string, path: string, body?: unknown) => http(hub.url, method, path, { token: hub.adminToken, body });
  const initData = (userId: number) =>
    signInitData(stub.token, { auth_date: String(Math.floor(Date.now() / 1000)), user: JSON.stringify({ id: userId, first_name: 'T', username: `u${userId}` }) });

  before(async () => {
    stub = await startTelegramStub();
    hub = await startHub({
      gateways: 2,
      env: { TEAMHUB_NAMESPACE_MODE: 'registered', TELEGRAM_BOT_TOKEN: stub.token, TELEGRAM_API_BASE_URL: stub.url, TELEGRAM_POLL_TIMEOUT_SEC: '1' },
    });
    const a = await admin('POST', '/admin/v1/namespaces', { name: 'alice' });
    const b = await admin('POST', '/admin/v1/namespaces', { name: 'bob' });
    expect(a.status, a.text).to.equal(200);
    aliceToken = a.json.token;
    bobToken = b.json.token;
  });
  after(async () => {
    for (const c of opened) c.close();
    await hub?.stop();
    await stub?.stop();
  });

  const socketOn = async (url: string, token: string) => {
    const s = await connectCli(url, token);
    opened.push(s);
    return s;
  };
  const sseOn = async (url: string, jwt: string) => {
    const sse = await openSse(url, '/api/events?all=true', { token: jwt });
    opened.push(sse);
    expect(sse.status).to.equal(200);
    await sse.waitFrame((f) => f.data?.type === 'connection-changed');
    return sse;
  };

  it("when alice's token is rotated, then her sockets and streams on both replicas close within 1 s; bob's stay; the old token is refused and the new one works", async () => {
    const sockets = [await socketOn(hub.urls[0]!, aliceToken), await socketOn(hub.urls[1]!, aliceToken)];
    const jwt = await webToken(hub.urls[0]!, aliceToken);
    const streams = [await sseOn(hub.urls[0]!, jwt), await sseOn(hub.urls[1]!, jwt)];
    const bobSocket = await socketOn(hub.urls[1]!, bobToken);
    const bobStream = await sseOn(hub.urls[0]!, await webToken(hub.urls[0]!, bobToken));
    const socketClosed = sockets.map(serverClosed);

    const rotated = await admin('POST', '/admin/v1/namespaces/alice/rotate');
    expect(rotated.status).to.equal(200);
    const at = Date.now();
    const closedAt = await Promise.all([...socketClosed, ...streams.map((s) => s.ended)]);
    for (const t of closedAt) expect(t - at, 'closed after the rotation answered').to.be.below(1000);
    // The socket is told why before it is closed.
    for (const s of sockets) expect(s.events('error')).to.deep.include({ message: 'Credential revoked', code: 'unauthorized', scope: 'auth' });

    expect(bobSocket.socket.connected).to.equal(true);
    expect(await bobSocket.ack('ping')).to.equal(undefined);
    await stillDelivers(bobStream, hub.url, bobToken);

    for (const url of hub.urls) {
      expect(await connectRefusal(url, aliceToken)).to.equal('Invalid token');
      expect((await http(url, 'GET', '/api/sessions', { token: jwt })).status).to.equal(401);
    }
    aliceToken = rotated.json.token;
    const fresh = await socketOn(hub.urls[1]!, aliceToken);
    expect(fresh.socket.connected).to.equal(true);
  });

  it("when alice logs out on replica 0, then that JWT's streams close on both replicas within 1 s; her other login's stream stays", async () => {
    const jwt = await webToken(hub.urls[0]!, aliceToken);
    const other = await webToken(hub.urls[1]!, aliceToken);
    const streams = [await sseOn(hub.urls[0]!, jwt), await sseOn(hub.urls[1]!, jwt)];
    const keeps = await sseOn(hub.urls[1]!, other);
    const out = await http(hub.urls[0]!, 'POST', '/api/auth/logout', { token: jwt });
    expect(out.status).to.equal(200);
    const at = Date.now();
    for (const t of await Promise.all(streams.map((s) => s.ended))) expect(t - at).to.be.below(1000);
    await stillDelivers(keeps, hub.url, aliceToken);
    // Reconnecting with the logged-out JWT is refused.
    const again = await openSse(hub.urls[1]!, '/api/events?all=true', { token: jwt });
    expect(again.status).to.equal(401);
  });

  it("when alice logs out, then her page's /terminal sockets on both replicas close within 1 s; her other login's stays; the JWT opens no new one", async () => {
    const jwt = await webToken(hub.urls[0]!, aliceToken);
    const other = await webToken(hub.urls[1]!, aliceToken);
    const terminal = async (url: string, token: string) => {
      const socket = io(`${url}/terminal`, { path: '/socket.io/', transports: ['websocket'], auth: { token }, reconnection: false, forceNew: true });
      opened.push({ close: () => socket.close() });
      const errors: unknown[] = [];
      socket.on('error', (e: unknown) => errors.push(e));
      const outcome = await new Promise<string>((resolve) => {
        socket.once('connect', () => resolve('connected'));
        socket.once('connect_error', (err) => resolve(err.message));
      });
      const closed = new Promise<number>((resolve) => socket.on('disconnect', (reason) => reason === 'io server disconnect' && resolve(Date.now())));
      return { socket, errors, outcome, closed };
    };
    const mine = [await terminal(hub.urls[0]!, jwt), await terminal(hub.urls[1]!, jwt)];
    const keeps = await terminal(hub.urls[1]!, other);
    for (const t of [...mine, keeps]) expect(t.outcome).to.equal('connected');
    expect((await http(hub.urls[0]!, 'POST', '/api/auth/logout', { token: jwt })).status).to.equal(200);
    const at = Date.now();
    for (const t of await Promise.all(mine.map((m) => m.closed))) expect(t - at).to.be.below(1000);
    for (const m of mine) expect(m.errors).to.deep.include({ message: 'Credential revoked', code: 'unauthorized', scope: 'auth' });
    expect(keeps.socket.connected).to.equal(true);
    expect((await terminal(hub.urls[1]!, jwt)).outcome).to.equal('Invalid token');
  });

  it('when a Telegram account was bound with the old token, then a Telegram login after the rotation is refused and the binding is gone', async () => {
    const bound = await http(hub.url, 'POST', '/api/bind', { body: { initData: initData(9001), accessToken: aliceToken } });
    expect(bound.status, bound.text).to.equal(200);
    const login = await http(hub.url, 'POST', '/api/auth', { body: { initData: initData(9001) } });
    expect(login.status).to.equal(200);
    expect(decodeJwt(login.json.token).payload.ns).to.equal('alice');
    const tgJwt = login.json.token as string;
    const tgStream = await sseOn(hub.urls[1]!, tgJwt);

    const aliceJwt = await webToken(hub.url, aliceToken);
    const listed = await http(hub.url, 'GET', '/api/telegram/bindings', { token: aliceJwt });
    expect(listed.status).to.equal(200);
    expect(listed.json.bindings.map((b: { telegramUserId: number }) => b.telegramUserId)).to.deep.equal([9001]);
    const adminList = await admin('GET', '/admin/v1/namespaces/alice/telegram-bindings');
    expect(adminList.json.bindings.map((b: { telegramUserId: number }) => b.telegramUserId)).to.deep.equal([9001]);

    const rotated = await admin('POST', '/admin/v1/namespaces/alice/rotate');
    expect(rotated.status).to.equal(200);
    aliceToken = rotated.json.token;
    const at = Date.now();
    // The Telegram login's web session ends with the rest of the namespace's credentials.
    expect((await tgStream.ended) - at).to.be.below(1000);
    const after = await http(hub.url, 'POST', '/api/auth', { body: { initData: initData(9001) } });
    expect(after.status).to.equal(401);
    expect(after.json).to.deep.equal({ error: 'not_bound' });
    const newJwt = await webToken(hub.url, aliceToken);
    expect((await http(hub.url, 'GET', '/api/telegram/bindings', { token: newJwt })).json).to.deep.equal({ bindings: [] });
    expect((await admin('GET', '/admin/v1/namespaces/alice/telegram-bindings')).json).to.deep.equal({ bindings: [] });
  });

  it("when the owner removes a binding, then that account's Telegram login is refused; another namespace cannot see or remove it", async () => {
    expect((await http(hub.url, 'POST', '/api/bind', { body: { initData: initData(9002), accessToken: aliceToken } })).status).to.equal(200);
    const aliceJwt = await webToken(hub.url, aliceToken);
    const bobJwt = await webToken(hub.url, bobToken);
    expect((await http(hub.url, 'GET', '/api/telegram/bindings', { token: bobJwt })).json).to.deep.equal({ bindings: [] });
    const bobTry = await http(hub.url, 'DELETE', '/api/telegram/bindings/9002', { token: bobJwt });
    expect(bobTry.status).to.equal(200);
    expect(bobTry.json).to.deep.equal({ removed: false });
    expect((await http(hub.url, 'POST', '/api/auth', { body: { initData: initData(9002) } })).status).to.equal(200);

    expect((await http(hub.url, 'DELETE', '/api/telegram/bindings/9002', { token: aliceJwt })).json).to.deep.equal({ removed: true });
    expect((await http(hub.url, 'POST', '/api/auth', { body: { initData: initData(9002) } })).json).to.deep.equal({ error: 'not_bound' });
    expect((await http(hub.url, 'DELETE', '/api/telegram/bindings/not-a-number', { token: aliceJwt })).status).to.equal(400);
    expect((await http(hub.url, 'GET', '/api/telegram/bindings')).status).to.equal(401);
    expect((await http(hub.url, 'GET', '/admin/v1/namespaces/alice/telegram-bindings', { token: aliceJwt })).status).to.equal(403);
  });

  it("when the admin revokes bob, then bob's sockets on both replicas close within 1 s", async () => {
    const sockets = [await socketOn(hub.urls[0]!, bobToken), await socketOn(hub.urls[1]!, bobToken)];
    const closed = sockets.map(serverClosed);
    expect((await admin('POST', '/admin/v1/namespaces/bob/revoke')).status).to.equal(200);
    const at = Date.now();
    for (const t of await Promise.all(closed)) expect(t - at).to.be.below(1000);
    expect(await connectRefusal(hub.urls[0]!, bobToken)).to.equal('Invalid token');
  });
});

describe('e2e security: a web JWT that expires ends its streams on every replica', function () {
  this.timeout(90_000);
  let hub: Hub;
  before(async () => {
    hub = await startHub({ gateways: 2, env: { TEAMHUB_WEB_JWT_TTL_SEC: '3' } });
  });
  after(async () => hub?.stop());

  it('when the JWT expires, then its SSE streams close within 1 s of the expiry and it opens no new one', async () => {
    const jwt = await webToken(hub.url, `${hub.baseToken}:alice`);
    const exp = Number(decodeJwt(jwt).payload.exp) * 1000;
    const streams = await Promise.all(hub.urls.map((u) => openSse(u, '/api/events?all=true', { token: jwt })));
    try {
      for (const s of streams) expect(s.status).to.equal(200);
      for (const t of await Promise.all(streams.map((s) => s.ended))) {
        expect(t).to.be.at.least(exp - 1000);
        expect(t - exp).to.be.below(1000);
      }
      await waitFor(() => Date.now() > exp, { timeoutMs: 2000 });
      expect((await openSse(hub.urls[1]!, '/api/events?all=true', { token: jwt })).status).to.equal(401);
    } finally {
      for (const s of streams) s.close();
    }
  });
});

describe('e2e security: SSE tickets keep the JWT out of the stream URL', function () {
  this.timeout(90_000);
  let hub: Hub;
  before(async () => {
    hub = await startHub({ gateways: 2 });
  });
  after(async () => hub?.stop());
  const ticketFor = async (url: string, jwt: string): Promise<string> => {
    const r = await http(url, 'POST', '/api/events/ticket', { token: jwt });
    expect(r.status, r.text).to.equal(200);
    expect(r.json.expiresInMs).to.equal(30_000);
    return r.json.ticket as string;
  };

  it("when a ticket taken on one replica opens the stream on the other, then it works once, carries its namespace's events only, and is refused the second time", async () => {
    const alice = `${hub.baseToken}:alice`;
    const jwt = await webToken(hub.urls[0]!, alice);
    const ticket = await ticketFor(hub.urls[0]!, jwt);
    const sse = await openSse(hub.urls[1]!, `/api/events?ticket=${ticket}&all=true`);
    try {
      expect(sse.status).to.equal(200);
      await sse.waitFrame((f) => f.data?.type === 'connection-changed');
      const bobs = await createCliSession(hub.url, `${hub.baseToken}:bob`);
      const mine = await createCliSession(hub.url, alice);
      await sse.waitFrame((f) => JSON.stringify(f.data ?? {}).includes(mine.id));
      expect(JSON.stringify(sse.frames)).to.not.include(bobs.id);
      for (const url of hub.urls) {
        const again = await http(url, 'GET', `/api/events?ticket=${ticket}&all=true`);
        expect(again.status).to.equal(401);
        expect(again.json).to.deep.equal({ error: 'Invalid ticket' });
      }
    } finally {
      sse.close();
    }
    expect((await http(hub.url, 'POST', '/api/events/ticket')).status).to.equal(401);
    expect((await http(hub.url, 'GET', '/api/events?ticket=not-a-ticket-at-all-not-a-ticket-at-all-xx')).status).to.equal(401);
    // HAPI's ?token= still works.
    const viaToken = await openSse(hub.urls[1]!, `/api/events?token=${jwt}`);
    viaToken.close();
    expect(viaToken.status).to.equal(200);
  });

  it('when the JWT a stream was opened with by ticket logs out, then the stream closes; a ticket taken before the logout is refused after it', async () => {
    const jwt = await webToken(hub.urls[0]!, `${hub.baseToken}:alice`);
    const sse = await openSse(hub.urls[1]!, `/api/events?ticket=${await ticketFor(hub.urls[1]!, jwt)}`);
    const spare = await ticketFor(hub.urls[0]!, jwt);
    expect(sse.status).to.equal(200);
    await sse.waitFrame((f) => f.data?.type === 'connection-changed');
    expect((await http(hub.urls[0]!, 'POST', '/api/auth/logout', { token: jwt })).status).to.equal(200);
    const at = Date.now();
    expect((await sse.ended) - at).to.be.below(1000);
    await waitFor(async () => (await http(hub.urls[1]!, 'GET', '/api/sessions', { token: jwt })).status === 401, { timeoutMs: 1000, what: 'logout on replica 1' });
    expect((await http(hub.urls[1]!, 'GET', `/api/events?ticket=${spare}`)).status).to.equal(401);
  });
});
