import { expect } from 'chai';
import { startHub, http, waitFor, webToken, createCliSession, type Hub } from '../helpers/hub-harness.js';
import { connectCli, type CliSocket } from '../helpers/cli-socket.js';
import { openSse, type SseClient } from '../helpers/sse-client.js';

interface Write {
  localId: string;
  status: number;
  ms: number;
  phase: 'before' | 'down' | 'after';
}

/**
 * The bus goes away under a steady write load: the hub's nats-server is SIGKILLed while web
 * messages keep coming, and started again on the same port and store a few seconds later. Every
 * write answers promptly (stored, its event kept in the session service's outbox), and every
 * acknowledged write's event reaches the SSE stream and the CLI socket that were open all along,
 * exactly once, in order, once the bus is back. Another namespace sees none of it.
 */
describe('e2e events: nats-server killed under load, writes stay fast and no acknowledged event is lost', function () {
  this.timeout(120_000);
  let hub: Hub;
  let sid = '';
  let aliceJwt = '';
  let cli: CliSocket | undefined;
  let sse: SseClient | undefined;
  let bobSse: SseClient | undefined;

  before(async () => {
    hub = await startHub({ env: { TEAMHUB_SESSION_TIMEOUT_MS: '120000' } });
    const alice = `${hub.baseToken}:alice`;
    sid = (await createCliSession(hub.url, alice)).id;
    aliceJwt = await webToken(hub.url, alice);
    cli = await connectCli(hub.url, alice, { sessionId: sid });
    // HAPI takes web messages only for a live session: one heartbeat (the window is 120 s here).
    cli.socket.emit('session-alive', { sid, time: Date.now(), thinking: false });
    await waitFor(async () => (await http(hub.url, 'GET', `/api/sessions/${sid}`, { token: aliceJwt })).json.session.active === true, { what: 'active' });
    sse = await openSse(hub.url, '/api/events?all=true', { token: aliceJwt });
    bobSse = await openSse(hub.url, '/api/events?all=true', { token: await webToken(hub.url, `${hub.baseToken}:bob`) });
    await sse.waitFrame((f) => f.data?.type === 'connection-changed');
    await bobSse.waitFrame((f) => f.data?.type === 'connection-changed');
  });
  after(async () => {
    cli?.close();
    sse?.close();
    bobSse?.close();
    await hub?.stop();
  });

  it('when the bus is killed and comes back, then writes answer within 1 s and every acknowledged one reaches SSE and the socket once, in order', async () => {
    const writes: Write[] = [];
    let phase: Write['phase'] = 'before';
    let stop = false;
    let n = 0;
    const load = (async () => {
      while (!stop) {
        const localId = `w-${++n}`;
        const started = Date.now();
        const r = await http(hub.url, 'POST', `/api/sessions/${sid}/messages`, { token: aliceJwt, body: { text: localId, localId }, timeoutMs: 5000 }).then(
          (res) => res.status,
          () => 0,
        );
        writes.push({ localId, status: r, ms: Date.now() - started, phase });
        // A client that was refused backs off a little before its next write.
        if (r !== 200) await new Promise((res) => setTimeout(res, 50));
      }
    })();
    const acked = () => writes.filter((w) => w.status === 200);
    await waitFor(() => acked().length >= 20, { timeoutMs: 20_000, what: '20 writes before the outage' });

    await hub.stopNats('SIGKILL');
    const killedAt = Date.now();
    phase = 'down';
    const ackedAtKill = acked().length;
    await waitFor(() => acked().length >= ackedAtKill + 30 && Date.now() - killedAt > 3000, { timeoutMs: 30_000, what: '30 writes while the bus is away' });
    await hub.startNats();
    phase = 'after';
    const ackedAtRestart = acked().length;
    await waitFor(() => acked().length >= ackedAtRestart + 20, { timeoutMs: 30_000, what: '20 writes after the bus came back' });
    stop = true;
    await load;

    const down = writes.filter((w) => w.phase === 'down');
    const slowest = Math.max(...down.map((w) => w.ms));
    const refused = down.filter((w) => w.status !== 200);
    // Anything not stored was refused with a clear status, never left hanging.
    for (const w of refused) expect(w.status, `${w.localId} while the bus was away`).to.equal(503);
    expect(slowest, 'slowest write while the bus was away (ms)').to.be.lessThan(1000);

    const want = acked().map((w) => w.localId);
    const seenBySse = () => sse!.events().filter((f) => f.data?.type === 'message-received').map((f) => f.data.message.localId as string);
    const seenByCli = () => cli!.events('update').filter((u) => u.body?.t === 'new-message').map((u) => u.body.message.localId as string);
    await waitFor(() => want.every((id) => seenBySse().includes(id)) && want.every((id) => seenByCli().includes(id)), {
      timeoutMs: 30_000,
      what: 'every acknowledged write on SSE and the socket',
    });
    // A fence: a later write's event arrives after anything still in flight.
    const fence = await http(hub.url, 'POST', `/api/sessions/${sid}/messages`, { token: aliceJwt, body: { text: 'fence', localId: 'fence' } });
    expect(fence.status).to.equal(200);
    await sse!.waitFrame((f) => f.data?.message?.localId === 'fence', 10_000);
    await cli!.waitEvent('update', (u) => u.body?.message?.localId === 'fence', 10_000);

    const sseIds = seenBySse().filter((id) => id !== 'fence');
    const cliIds = seenByCli().filter((id) => id !== 'fence');
    const lost = want.filter((id) => !sseIds.includes(id));
    const duplicated = sseIds.length - new Set(sseIds).size;
    console.log(
      `      bus outage: ${want.length} writes acknowledged (${down.filter((w) => w.status === 200).length} while the bus was away, ${refused.length} refused), ` +
        `slowest while away ${slowest} ms; SSE ${lost.length} lost, ${duplicated} duplicated; socket ${cliIds.length - new Set(cliIds).size} duplicated`,
    );
    expect(lost).to.deep.equal([]);
    // Exactly the acknowledged writes (a refused write stored nothing), once each, in write order.
    expect(sseIds).to.deep.equal(want);
    expect(cliIds).to.deep.equal(want);
    expect(bobSse!.events().filter((f) => f.data?.type === 'message-received'), 'another namespace saw none of it').to.deep.equal([]);
  });
});
