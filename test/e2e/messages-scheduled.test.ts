import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { createCliSession, http, startHub, waitFor, webToken, type Hub } from '../helpers/hub-harness.js';
import { startLocalHub, type RunningHub } from '../helpers/local-hub.js';
import { freePort } from '../helpers/ports.js';
import { openSse, type SseClient } from '../helpers/sse-client.js';
import { StandIn } from '../surface/stand-ins.js';

/** Fast scheduler settings: a look every 200 ms, claims that run out after 3 s. */
const CLAIM_MS = 3_000;
const SCHEDULER_ENV = { TEAMHUB_SCHEDULE_POLL_MS: '200', TEAMHUB_SCHEDULE_CLAIM_MS: String(CLAIM_MS) };

const localId = (what: string) => `${what}-${randomBytes(4).toString('hex')}`;
/** The `new-message` updates a CLI stand-in got for `lid`. */
const deliveries = (cli: StandIn, lid: string) => cli.updates.filter((u) => u.body.t === 'new-message' && (u.body.message as { localId?: string }).localId === lid);

async function schedule(url: string, jwt: string, sessionId: string, lid: string, at: number, text = 'run the nightly checks'): Promise<void> {
  const r = await http(url, 'POST', `/api/sessions/${sessionId}/messages`, { token: jwt, body: { text, localId: lid, scheduledAt: at } });
  expect(r.status, r.text).to.equal(200);
}

/**
 * Waits for `lid` at the CLI and checks it came at its time, not before, and exactly once. The
 * fence is a second message scheduled past the first one's claim: the schedulers deliver in due
 * order, so once the fence is there, any second delivery of the first (an expired claim taken
 * over by another replica) would have come before it.
 */
async function expectDeliveredOnce(url: string, jwt: string, sessionId: string, cli: StandIn, lid: string, at: number): Promise<void> {
  const first = await waitFor(() => deliveries(cli, lid)[0] ?? null, { timeoutMs: 30_000, what: `delivery of ${lid}` });
  expect(Number(first.createdAt) || Date.now(), 'published at or after its time').to.be.at.least(at);
  const fence = localId('fence');
  await schedule(url, jwt, sessionId, fence, Math.max(Date.now(), at) + CLAIM_MS + 500, 'fence');
  await waitFor(() => deliveries(cli, fence).length > 0, { timeoutMs: 30_000, what: 'the fence' });
  expect(deliveries(cli, lid), 'delivered exactly once').to.have.length(1);
  expect((first.body.message as { content: unknown }).content).to.deep.equal({ role: 'user', content: { type: 'text', text: 'run the nightly checks' }, meta: { sentFrom: 'webapp', deliveryMode: 'queue' } });
}

for (const store of ['sqlite', 'mongo'] as const) {
  describe(`e2e scheduled messages (${store}, two session replicas, two gateways)`, function () {
    this.timeout(180_000);
    let hub: Hub;
    let alice: string;
    let aliceJwt: string;
    let bobJwt: string;
    let aliceSse: SseClient;
    let bobSse: SseClient;
    const sockets: StandIn[] = [];

    before(async () => {
      hub = await startHub({ store, gateways: 2, sessionReplicas: 2, env: SCHEDULER_ENV });
      alice = `${hub.baseToken}:alice`;
      aliceJwt = await webToken(hub.url, alice);
      bobJwt = await webToken(hub.url, `${hub.baseToken}:bob`);
      aliceSse = await openSse(hub.urls[1]!, '/api/events?all=true', { token: aliceJwt });
      bobSse = await openSse(hub.url, '/api/events?all=true', { token: bobJwt });
    });
    after(async () => {
      for (const s of sockets) s.close();
      aliceSse?.close();
      bobSse?.close();
      await hub?.stop();
    });

    /** Until the gateways reach the restarted session service again (their gRPC clients reconnect with a backoff). */
    const sessionServiceBack = (id: string) =>
      waitFor(async () => (await http(hub.url, 'GET', `/api/sessions/${id}`, { token: aliceJwt })).status === 200, { timeoutMs: 20_000, what: 'the session service back' });

    /** Alice's session with her CLI connected to the second gateway (the web posts to the first). */
    async function aliceSession(): Promise<{ id: string; cli: StandIn }> {
      const session = await createCliSession(hub.url, alice);
      const cli = await StandIn.session(hub.urls[1]!, alice, session.id);
      sockets.push(cli);
      await waitFor(async () => (await http(hub.url, 'GET', `/api/sessions/${session.id}`, { token: aliceJwt })).json?.session?.active === true, { what: 'session active' });
      return { id: session.id, cli };
    }

    it('when alice schedules a message, then her CLI on another gateway gets it at its time, not before, once; the web is told once; bob sees and changes nothing', async () => {
      const { id, cli } = await aliceSession();
      const lid = localId('later');
      const at = Date.now() + 3_000;
      await schedule(hub.url, aliceJwt, id, lid, at);
      // An immediate message is the fence for "not before": once it arrived, an undue one would have too.
      const now = localId('now');
      const posted = await http(hub.url, 'POST', `/api/sessions/${id}/messages`, { token: aliceJwt, body: { text: 'now', localId: now } });
      expect(posted.status).to.equal(200);
      await waitFor(() => deliveries(cli, now).length > 0, { what: 'the immediate message' });
      expect(Date.now(), 'the check ran before the scheduled time').to.be.lessThan(at);
      expect(deliveries(cli, lid), 'delivered early').to.deep.equal([]);
      // Bob can neither see it nor cancel it; the CLI backfill holds it back meanwhile.
      const list = await http(hub.url, 'GET', `/api/sessions/${id}/messages`, { token: bobJwt });
      expect([list.status, list.json]).to.deep.equal([403, { error: 'Session access denied' }]);
      const cancel = await http(hub.url, 'DELETE', `/api/sessions/${id}/messages/${lid}`, { token: bobJwt });
      expect([cancel.status, cancel.json]).to.deep.equal([403, { error: 'Session access denied' }]);
      const backfill = await http(hub.url, 'GET', `/cli/sessions/${id}/messages?afterSeq=0`, { token: alice });
      expect(backfill.json.messages.map((m: { localId: string }) => m.localId)).to.deep.equal([now]);
      const listed = (await http(hub.url, 'GET', '/api/sessions', { token: aliceJwt })).json.sessions.find((x: { id: string }) => x.id === id);
      expect(listed).to.include({ futureScheduledMessageCount: 1, nextScheduledAt: at });
      expect((await http(hub.url, 'GET', '/api/sessions', { token: bobJwt })).json.sessions).to.deep.equal([]);

      await expectDeliveredOnce(hub.url, aliceJwt, id, cli, lid, at);
      // The CLI socket and the web stream are two connections fed from one event: the fence at the
      // CLI does not mean its announcement has reached the stream yet, so that is awaited too.
      const maturedFrames = () => aliceSse.frames.filter((f) => f.data?.type === 'scheduled-matured' && f.data.sessionId === id);
      await waitFor(() => maturedFrames().length >= 2, { timeoutMs: 10_000, what: "the fence's scheduled-matured on the web stream" });
      const matured = maturedFrames();
      expect(matured.map((f) => f.data), 'one per delivered message (it and the fence)').to.deep.equal([
        { type: 'scheduled-matured', sessionId: id, namespace: 'alice' },
        { type: 'scheduled-matured', sessionId: id, namespace: 'alice' },
      ]);
      const page = await http(hub.url, 'GET', `/api/sessions/${id}/messages`, { token: aliceJwt });
      expect(page.json.messages.find((m: { localId: string }) => m.localId === lid)).to.include({ scheduledAt: at, invokedAt: null });
      expect(JSON.stringify(bobSse.frames), "bob's stream").to.not.include(id);
    });

    it('when one session replica crashes and the other is restarted while a message waits, then it still comes at its time (not before), once', async () => {
      const { id, cli } = await aliceSession();
      const lid = localId('later');
      const at = Date.now() + 6_000;
      await schedule(hub.url, aliceJwt, id, lid, at);
      await hub.stopService('session', 'SIGKILL');
      await hub.stopService('session1', 'SIGTERM');
      await hub.startService('session1');
      await hub.startService('session');
      await sessionServiceBack(id);
      await expectDeliveredOnce(hub.url, aliceJwt, id, cli, lid, at);
    });

    it('when every session replica is down at the time, then the message comes once they are back, once', async () => {
      const { id, cli } = await aliceSession();
      const lid = localId('later');
      const at = Date.now() + 1_500;
      await schedule(hub.url, aliceJwt, id, lid, at);
      await hub.stopService('session', 'SIGTERM');
      await hub.stopService('session1', 'SIGKILL');
      await waitFor(() => Date.now() > at + 500, { timeoutMs: 10_000, what: 'the time passing' });
      expect(deliveries(cli, lid), 'delivered while no replica ran').to.deep.equal([]);
      await Promise.all([hub.startService('session'), hub.startService('session1')]);
      await sessionServiceBack(id);
      await expectDeliveredOnce(hub.url, aliceJwt, id, cli, lid, at);
    });
  });
}

describe('e2e scheduled messages across a restart of the whole hub (make run)', function () {
  this.timeout(300_000);
  let dataDir: string;
  let port: number;
  let hub: RunningHub | null = null;
  const sockets: StandIn[] = [];

  before(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'teamhub-scheduled-'));
    port = await freePort();
  });
  after(async () => {
    for (const s of sockets) s.close();
    await hub?.stop('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('when the hub is stopped and started again before a message is due, then its CLI gets it at its time, once', async () => {
    hub = await startLocalHub({ dataDir, port, env: SCHEDULER_ENV });
    const alice = `${hub.baseToken}:alice`;
    const session = await createCliSession(hub.url, alice);
    const jwt = await webToken(hub.url, alice);
    const first = await StandIn.session(hub.url, alice, session.id);
    sockets.push(first);
    await waitFor(async () => (await http(hub!.url, 'GET', `/api/sessions/${session.id}`, { token: jwt })).json?.session?.active === true, { what: 'session active' });
    const lid = localId('later');
    const at = Date.now() + 25_000;
    await schedule(hub.url, jwt, session.id, lid, at);

    expect(await hub.stop('SIGTERM')).to.equal(0);
    first.close();
    hub = await startLocalHub({ dataDir, port, env: SCHEDULER_ENV });
    const cli = await StandIn.session(hub.url, alice, session.id);
    sockets.push(cli);
    const jwtAgain = await webToken(hub.url, alice);
    expect(deliveries(cli, lid), 'delivered early').to.deep.equal([]);
    await expectDeliveredOnce(hub.url, jwtAgain, session.id, cli, lid, at);
    expect(deliveries(first, lid), 'the socket of before the restart got nothing').to.deep.equal([]);
  });
});
