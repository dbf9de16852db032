import { expect } from 'chai';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { eventStreamName } from '../../lib/events/stream.js';
import { parseNamespace } from '../../lib/namespace.js';
import { startHub, http, waitFor, webToken, createCliSession, type Hub } from '../helpers/hub-harness.js';
import { connectCli, type CliSocket } from '../helpers/cli-socket.js';
import { openSse, type SseClient } from '../helpers/sse-client.js';

/**
 * Each namespace's events live in a stream of their own: one namespace churning events cannot
 * evict another's replay history, and a gateway replica reads a namespace's stream only while it
 * has an SSE stream or socket of that namespace.
 */
describe('e2e live: one event stream per namespace', function () {
  this.timeout(120_000);
  let hub: Hub;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  const open: SseClient[] = [];
  const clis: CliSocket[] = [];
  const sse = async (url: string, token: string, lastEventId?: string) => {
    const c = await openSse(url, '/api/events?all=true', { token, headers: lastEventId ? { 'last-event-id': lastEventId } : undefined });
    open.push(c);
    await c.waitFrame((f) => f.data?.type === 'connection-changed');
    return c;
  };
  const consumersOf = async (ns: string) => {
    let n = 0;
    for await (const _consumer of jsm.consumers.list(eventStreamName(parseNamespace(ns)))) n++;
    return n;
  };

  before(async () => {
    // The smallest history a namespace may keep, so bob's churn passes it quickly; sessions stay
    // live through the churn on one heartbeat (web messages go to live sessions only).
    hub = await startHub({ gateways: 2, env: { TEAMHUB_EVENTS_PER_NAMESPACE: '300', TEAMHUB_SESSION_TIMEOUT_MS: '120000' } });
    nc = await connect({ servers: hub.natsUrl });
    jsm = await jetstreamManager(nc);
  });
  afterEach(() => {
    for (const c of open.splice(0)) c.close();
    for (const c of clis.splice(0)) c.close();
  });
  after(async () => {
    await nc?.close();
    await hub?.stop();
  });

  it("when bob churns more events than a namespace keeps, then alice still resumes with her Last-Event-ID while bob's old id answers gap", async () => {
    const [r1] = hub.urls as [string];
    const alice = `${hub.baseToken}:alice`;
    const bob = `${hub.baseToken}:bob`;
    const [aliceJwt, bobJwt] = [await webToken(r1, alice), await webToken(r1, bob)];
    const aliceSid = (await createCliSession(r1, alice)).id;
    const bobSid = (await createCliSession(r1, bob)).id;
    // HAPI takes web messages only for a live session: each gets a CLI socket and a heartbeat.
    for (const [token, jwt, sid] of [[alice, aliceJwt, aliceSid], [bob, bobJwt, bobSid]] as const) {
      const cli = await connectCli(r1, token, { sessionId: sid });
      clis.push(cli);
      cli.socket.emit('session-alive', { sid, time: Date.now(), thinking: false });
      await waitFor(async () => (await http(r1, 'GET', `/api/sessions/${sid}`, { token: jwt })).json.session.active === true, { what: 'active' });
    }
    const post = (jwt: string, sid: string, text: string) => http(r1, 'POST', `/api/sessions/${sid}/messages`, { token: jwt, body: { text } });

    const first = await sse(r1, aliceJwt);
    await post(aliceJwt, aliceSid, 'seen');
    const seen = await first.waitFrame((f) => f.data?.message?.content?.content?.text === 'seen');
    first.close();
    await post(aliceJwt, aliceSid, 'missed while away');

    const bobFirst = await sse(r1, bobJwt);
    await post(bobJwt, bobSid, 'bob old');
    const bobOld = await bobFirst.waitFrame((f) => f.data?.message?.content?.content?.text === 'bob old');
    bobFirst.close();
    for (let i = 0; i < 320; i++) expect((await post(bobJwt, bobSid, `churn ${i}`)).status).to.equal(200);
    await waitFor(async () => (await jsm.streams.info(eventStreamName(parseNamespace('bob')))).state.first_seq > 1, { what: "bob's oldest events dropped" });

    const back = await sse(r1, aliceJwt, seen.id);
    expect(back.frames[0]!.data.data.resume).to.equal('ok');
    await back.waitFrame((f) => f.data?.message?.content?.content?.text === 'missed while away');
    expect(back.events().map((f) => f.data.message?.content?.content?.text)).to.deep.equal(['missed while away']);

    const bobBack = await sse(r1, bobJwt, bobOld.id);
    expect(bobBack.frames[0]!.data.data.resume).to.equal('gap');
    const aliceStream = await jsm.streams.info(eventStreamName(parseNamespace('alice')));
    expect(aliceStream.state.first_seq, "alice's history is untouched").to.equal(1);
  });

  it('when carol streams on one replica and dave on the other, then each replica reads only the namespace it has clients in', async () => {
    const [r1, r2] = hub.urls as [string, string];
    const carol = `${hub.baseToken}:carol`;
    const dave = `${hub.baseToken}:dave`;
    await createCliSession(r1, carol);
    await createCliSession(r1, dave);
    // Each namespace's stream exists now (their sessions' events), and no replica reads either yet.
    expect([await consumersOf('carol'), await consumersOf('dave')]).to.deep.equal([0, 0]);

    await sse(r1, await webToken(r1, carol));
    await sse(r2, await webToken(r2, dave));
    expect([await consumersOf('carol'), await consumersOf('dave')]).to.deep.equal([1, 1]);

    // A CLI socket of carol's on the second replica: that replica reads carol's stream too.
    const sid = (await createCliSession(r2, carol)).id;
    const cli = await connectCli(r2, carol, { sessionId: sid });
    try {
      expect(await consumersOf('carol')).to.equal(2);
      // Two streams of carol's on the first replica still share its one reader.
      await sse(r1, await webToken(r1, carol));
      expect(await consumersOf('carol')).to.equal(2);
    } finally {
      cli.close();
    }
    for (const c of open.splice(0)) c.close();
    // A replica stops reading a namespace a little after its last client left (10 s).
    await waitFor(async () => (await consumersOf('carol')) + (await consumersOf('dave')) === 0, { timeoutMs: 30_000, intervalMs: 500, what: 'readers closed after the clients left' });
  });
});
