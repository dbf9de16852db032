import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { startHub, http, waitFor, SESSION_METADATA, type Hub } from '../helpers/hub-harness.js';
import { connectCli } from '../helpers/cli-socket.js';
import { openSse, type SseClient } from '../helpers/sse-client.js';
import { eventStreamName } from '../../lib/events/stream.js';
import { parseNamespace } from '../../lib/namespace.js';

describe('e2e live: a gateway replica dies', function () {
  this.timeout(60_000);
  let hub: Hub;
  let alice: string;
  let aliceJwt: string;
  const streams: Array<{ close(): void }> = [];

  before(async () => {
    // A long session window, so only the dead replica's lease can end the session in time.
    hub = await startHub({ gateways: 2, env: { TEAMHUB_SESSION_TIMEOUT_MS: '60000', TEAMHUB_SWEEP_INTERVAL_MS: '200', TEAMHUB_REPLICA_LEASE_MS: '1500' } });
    alice = `${hub.baseToken}:alice`;
    aliceJwt = (await http(hub.url, 'POST', '/api/auth', { body: { accessToken: alice } })).json.token;
  });
  after(async () => {
    for (const s of streams) s.close();
    await hub?.stop();
  });

  it('when the stream no longer holds the id, then the resume answers gap without replay', async () => {
    const [r1] = hub.urls as [string];
    const sid = (await http(r1, 'POST', '/cli/sessions', { token: alice, body: { tag: randomUUID(), metadata: SESSION_METADATA } })).json.session.id;
    // Web messages need a live CLI, as in HAPI.
    const cli = await connectCli(r1, alice, { sessionId: sid });
    streams.push(cli);
    cli.socket.emit('session-alive', { sid, time: Date.now(), thinking: false });
    await waitFor(async () => (await http(r1, 'GET', `/api/sessions/${sid}`, { token: aliceJwt })).json.session.active === true, { what: 'active' });
    const first = await openSse(r1, '/api/events?all=true', { token: aliceJwt });
    streams.push(first);
    await first.waitFrame((f) => f.data?.type === 'connection-changed');
    await http(r1, 'POST', `/api/sessions/${sid}/messages`, { token: aliceJwt, body: { text: 'old' } });
    const old = await first.waitFrame((f) => f.data?.type === 'message-received');
    await http(r1, 'POST', `/api/sessions/${sid}/messages`, { token: aliceJwt, body: { text: 'lost' } });
    await first.waitFrame((f) => f.data?.message?.content?.content?.text === 'lost');
    const nc = await connect({ servers: hub.natsUrl });
    try {
      await (await jetstreamManager(nc)).streams.purge(eventStreamName(parseNamespace('alice')));
    } finally {
      await nc.close();
    }
    await http(r1, 'POST', `/api/sessions/${sid}/messages`, { token: aliceJwt, body: { text: 'after purge' } });
    const again = await openSse(r1, '/api/events?all=true', { token: aliceJwt, headers: { 'last-event-id': old.id! } });
    streams.push(again);
    const hello = await again.waitFrame((f) => f.data?.type === 'connection-changed');
    expect(hello.data.data.resume).to.equal('gap');
    await http(r1, 'POST', `/api/sessions/${sid}/messages`, { token: aliceJwt, body: { text: 'live' } });
    await again.waitFrame((f) => f.data?.message?.content?.content?.text === 'live');
    expect(again.events().map((f) => f.data.message?.content?.content?.text)).to.deep.equal(['live']);
  });

  it('when the replica holding an active session is SIGKILLed, then the session goes inactive on its own', async () => {
    const [r1, r2] = hub.urls as [string, string];
    const sid = (await http(r2, 'POST', '/cli/sessions', { token: alice, body: { tag: randomUUID(), metadata: SESSION_METADATA } })).json.session.id;
    const s = await connectCli(r1, alice, { sessionId: sid });
    s.socket.emit('session-alive', { sid, time: Date.now(), thinking: false });
    const active = async () => (await http(r2, 'GET', `/api/sessions/${sid}`, { token: aliceJwt })).json.session.active as boolean;
    await waitFor(active, { what: 'active' });
    await hub.killGateway(0, 'SIGKILL');
    s.close();
    await waitFor(async () => !(await active()), { timeoutMs: 10_000, intervalMs: 200, what: 'inactive after the lease expired' });
  });
});
