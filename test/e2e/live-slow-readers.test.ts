import { expect } from 'chai';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { startHub, http, waitFor, webToken, createCliSession, type Hub } from '../helpers/hub-harness.js';
import { connectCli, type CliSocket } from '../helpers/cli-socket.js';
import { openSse, type SseClient } from '../helpers/sse-client.js';

const READERS = 50;
const EVENTS = 300;
const TEXT_BYTES = 400 * 1024;

/** Resident memory of a process, in MiB (from /proc). */
function rssMiB(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) / 1024;
}

interface StalledReader {
  socket: net.Socket;
  /** Resolves when the server closed the connection (seen once the reader reads again). */
  closed: Promise<'closed'>;
}

/** An SSE client that reads the response head and first frame, then never reads again. */
function stalledSseReader(url: string, jwt: string): Promise<StalledReader> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(u.port), u.hostname);
    const closed = new Promise<'closed'>((done) => socket.once('close', () => done('closed')));
    socket.once('error', () => undefined);
    socket.once('connect', () => socket.write(`GET /api/events?all=true HTTP/1.1\r\nHost: ${u.host}\r\nAccept: text/event-stream\r\nAuthorization: Bearer ${jwt}\r\n\r\n`));
    socket.once('data', (chunk: Buffer) => {
      if (!chunk.toString('latin1').startsWith('HTTP/1.1 200')) return reject(new Error(`SSE refused: ${chunk.toString('latin1').slice(0, 80)}`));
      socket.pause();
      resolve({ socket, closed });
    });
    socket.setTimeout(10_000, () => reject(new Error('SSE connect timed out')));
  });
}

/**
 * One teammate cannot take the shared gateway's memory: 50 SSE readers that stop reading and a
 * CLI socket that stops reading, then a flood of large events in their namespace. Each stalled
 * reader is disconnected once its unsent data passes the bound, the gateway's memory stays
 * bounded, another namespace's requests keep answering fast, and a reader that keeps up gets
 * every event.
 */
describe('e2e live: stalled SSE and socket readers under a flood of large events', function () {
  this.timeout(240_000);
  let hub: Hub;
  let sid = '';
  let aliceJwt = '';
  let bobJwt = '';
  const readers: StalledReader[] = [];
  let healthy: SseClient | undefined;
  let stalledCli: CliSocket | undefined;
  let stalledCliId = '';
  let stalledCliTcp: net.Socket | undefined;

  before(async () => {
    hub = await startHub({ env: { TEAMHUB_SESSION_TIMEOUT_MS: '120000', TEAMHUB_LOG_LEVEL: 'warn' } });
    const alice = `${hub.baseToken}:alice`;
    const bob = `${hub.baseToken}:bob`;
    sid = (await createCliSession(hub.url, alice)).id;
    await createCliSession(hub.url, bob);
    aliceJwt = await webToken(hub.url, alice);
    bobJwt = await webToken(hub.url, bob);
    for (let i = 0; i < READERS; i++) readers.push(await stalledSseReader(hub.url, aliceJwt));
    healthy = await openSse(hub.url, '/api/events?all=true', { token: aliceJwt });
    await healthy.waitFrame((f) => f.data?.type === 'connection-changed');
    stalledCli = await connectCli(hub.url, alice, { sessionId: sid });
    await stalledCli.ack('ping');
    // HAPI takes web messages only for a live session: one heartbeat (the window is 120 s here).
    stalledCli.socket.emit('session-alive', { sid, time: Date.now(), thinking: false });
    await waitFor(async () => (await http(hub.url, 'GET', `/api/sessions/${sid}`, { token: aliceJwt })).json.session.active === true, { what: 'active' });
    stalledCliId = stalledCli.socket.id!;
    // The TCP connection under the client's WebSocket, kept here: the client may give up on it
    // by itself (engine.io's ping timeout) while it is paused, and then forgets it.
    stalledCliTcp = (stalledCli.socket.io as unknown as { engine: { transport: { ws: { _socket: net.Socket } } } }).engine.transport.ws._socket;
    stalledCliTcp.pause();
  });
  after(async () => {
    for (const r of readers) r.socket.destroy();
    healthy?.close();
    stalledCli?.close();
    await hub?.stop();
  });

  it('when 50 readers stall and large events flood in, then they are cut off, memory stays bounded and bob still gets answers under 1 s', async () => {
    const pid = hub.pid('gateway0')!;
    const before = rssMiB(pid);
    let peak = before;
    let bobSlowest = 0;
    let bobFailures = 0;
    let flooding = true;
    const sampler = (async () => {
      while (flooding) {
        peak = Math.max(peak, rssMiB(pid));
        const started = Date.now();
        const r = await http(hub.url, 'GET', '/api/sessions', { token: bobJwt, timeoutMs: 5000 }).catch(() => null);
        if (r?.status !== 200) bobFailures++;
        bobSlowest = Math.max(bobSlowest, Date.now() - started);
        await new Promise((res) => setTimeout(res, 100));
      }
    })();
    const text = 'x'.repeat(TEXT_BYTES);
    for (let i = 0; i < EVENTS; i++) {
      const r = await http(hub.url, 'POST', `/api/sessions/${sid}/messages`, { token: aliceJwt, body: { text: `${i} ${text}`, localId: `big-${i}` }, timeoutMs: 20_000 });
      expect(r.status, r.text).to.equal(200);
    }
    await healthy!.waitFrame((f) => f.data?.message?.localId === `big-${EVENTS - 1}`, 60_000);
    flooding = false;
    await sampler;

    // Every stalled reader was disconnected by the gateway (its connection is closed once it reads on).
    for (const r of readers) r.socket.resume();
    const outcomes = await Promise.all(readers.map((r) => Promise.race([r.closed, new Promise<'open'>((res) => setTimeout(() => res('open'), 5000))])));
    const cutOff = outcomes.filter((o) => o === 'closed').length;
    stalledCliTcp!.resume();
    // The gateway's own word that it cut this socket off (the client's state alone cannot tell
    // that apart from the client timing out its pings).
    const cutOffLine = (line: string) => line.includes('socket reader too slow; disconnected') && line.includes(stalledCliId);
    const socketCutOff = hub.output('gateway0').split('\n').some(cutOffLine);

    const received = healthy!.events().filter((f) => f.data?.type === 'message-received').length;
    console.log(
      `      slow readers: ${cutOff}/${READERS} stalled SSE readers cut off, stalled socket cut off: ${socketCutOff}; ${EVENTS} events of ${TEXT_BYTES / 1024} KiB; ` +
        `gateway RSS ${before.toFixed(0)} -> peak ${peak.toFixed(0)} MiB; bob's list slowest ${bobSlowest} ms; healthy reader got ${received}/${EVENTS}`,
    );
    expect(cutOff).to.equal(READERS);
    expect(socketCutOff, 'the stalled CLI socket was disconnected').to.equal(true);
    expect(bobFailures).to.equal(0);
    expect(bobSlowest, "bob's GET /api/sessions during the flood (ms)").to.be.lessThan(1000);
    // 300 events of 400 KiB are 120 MiB that a stalled reader would hold (unbounded, this grew by about 500 MiB).
    expect(peak - before, 'gateway RSS growth (MiB)').to.be.lessThan(200);
    expect(received).to.equal(EVENTS);
  });
});
