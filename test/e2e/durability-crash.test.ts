import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { startHub, http, waitFor, webToken, createCliSession, type Hub } from '../helpers/hub-harness.js';
import { connectCli, type CliSocket } from '../helpers/cli-socket.js';
import { childrenOf } from '../helpers/local-hub.js';

/** Bytes received but not yet read on an established TCP connection to `port` on this machine (from /proc/net/tcp). */
function unreadBytesAt(port: number): number {
  let unread = 0;
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 5) continue;
    const localPort = parseInt(f[1]!.split(':')[1]!, 16);
    const established = f[3] === '01';
    const rxQueue = parseInt(f[4]!.split(':')[1]!, 16);
    if (localPort === port && established) unread += rxQueue;
  }
  return unread;
}

/**
 * "Nothing lost": a message the hub answered 200 for is on disk, even when the session service
 * is killed (SIGKILL, no shutdown hooks) while writes are in flight. Runs on the embedded SQLite
 * store, the one that persists in tests (the Mongo-wire test server keeps nothing on disk).
 */
describe('e2e durability: acknowledged messages survive a crash of the session service', function () {
  this.timeout(90_000);
  let hub: Hub;
  let cli: CliSocket | undefined;
  let sid = '';
  let jwt = '';
  const alice = () => `${hub.baseToken}:alice`;

  before(async () => {
    hub = await startHub({ env: { TEAMHUB_AUTH_FAIL_LIMIT: '1000', TEAMHUB_SESSION_TIMEOUT_MS: '60000' } });
    sid = (await createCliSession(hub.url, alice())).id;
    jwt = await webToken(hub.url, alice());
    cli = await connectCli(hub.url, alice(), { sessionId: sid });
    cli.socket.emit('session-alive', { sid, time: Date.now(), thinking: false });
    await waitFor(async () => (await http(hub.url, 'GET', `/api/sessions/${sid}`, { token: jwt })).json?.session?.active === true, { what: 'session active' });
  });
  after(async () => {
    cli?.close();
    await hub?.stop();
  });

  const post = (text: string) =>
    http(hub.url, 'POST', `/api/sessions/${sid}/messages`, { token: jwt, body: { text, localId: `l-${text}` }, timeoutMs: 5000 }).then(
      (r) => r.status,
      () => 0,
    );
  /** The stored messages; waits out the gateway's reconnect to a just-restarted service. */
  const stored = async () => {
    const r = await waitFor(async () => {
      const res = await http(hub.url, 'GET', `/cli/sessions/${sid}/messages?afterSeq=0&limit=200`, { token: alice() });
      return res.status === 200 ? res : null;
    }, { timeoutMs: 5000, what: 'messages readable after restart' });
    return r.json.messages as { seq: number; localId: string | null; content: { content: { text: string } } }[];
  };

  /** Every message posted in the first test, with its answer (200, 503, or 0 for no answer). */
  const results = new Map<string, number>();

  it('when the service is killed mid-stream, then every message answered 200 is there after restart, once, in seq order', async () => {
    // Four writers post one message after another; the service is SIGKILLed once ten have been
    // acknowledged, so up to four writes are in flight at the moment of the crash.
    let acks = 0;
    let killed: Promise<void> | undefined;
    const writer = async (w: number) => {
      for (let i = 0; i < 10; i++) {
        const text = `w${w}-${i}-${randomUUID().slice(0, 8)}`;
        const status = await post(text);
        results.set(text, status);
        if (status === 200 && ++acks === 10) killed = hub.stopService('session', 'SIGKILL');
      }
    };
    await Promise.all([0, 1, 2, 3].map(writer));
    await killed;
    await hub.startService('session');

    const statuses = [...results.values()];
    expect(statuses.filter((s) => s === 200).length, JSON.stringify(statuses)).to.be.at.least(10);
    expect(statuses.filter((s) => s !== 200).length, 'some writes were refused by the crash').to.be.greaterThan(0);
    expect(statuses.every((s) => s === 200 || s === 503 || s === 0), `unexpected statuses ${JSON.stringify(statuses)}`).to.equal(true);
    const acked = [...results].filter(([, s]) => s === 200).map(([t]) => t);
    const messages = await stored();
    const storedTexts = messages.map((m) => m.content.content.text);
    for (const t of acked) expect(storedTexts, `acknowledged ${t} lost`).to.include(t);
    expect(new Set(storedTexts).size, 'no message stored twice').to.equal(storedTexts.length);
    const seqs = messages.map((m) => m.seq);
    expect(seqs).to.deep.equal([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).to.equal(seqs.length);
  });

  it('when the messages refused by the crash are retried with the same localId after the restart, then each is stored exactly once', async () => {
    // A refused write may or may not have been committed before the kill (the answer can be what
    // was lost); either way the client's retry with the same localId must leave one copy.
    const refused = [...results].filter(([, status]) => status !== 200).map(([text]) => text);
    expect(refused.length, 'the first test left refused writes to retry').to.be.greaterThan(0);
    for (const text of refused) expect(await post(text), `retry of ${text}`).to.equal(200);
    const texts = (await stored()).map((m) => m.content.content.text);
    for (const text of refused) expect(texts.filter((t) => t === text), text).to.have.length(1);
  });

  it('when a write is in flight at the moment the service is killed and is retried with the same localId after the restart, then it is stored exactly once', async () => {
    const text = `inflight-${randomUUID().slice(0, 8)}`;
    const sessionPort = Number(hub.addrs.session.split(':')[1]);
    const service = childrenOf(process.pid).get('session');
    expect(service, 'the session service process').to.not.equal(undefined);
    // Frozen, the service cannot answer: the write is held in flight until the kill.
    process.kill(service!.pid, 'SIGSTOP');
    const unreadBefore = unreadBytesAt(sessionPort);
    let settled = false;
    const inFlight = post(text).finally(() => {
      settled = true;
    });
    // The request has reached the service once its bytes sit unread in the service's socket.
    await waitFor(() => unreadBytesAt(sessionPort) > unreadBefore, { timeoutMs: 5000, what: 'the write waiting in the session service socket' });
    expect(settled, 'the write is still waiting for its answer').to.equal(false);
    await hub.stopService('session', 'SIGKILL');
    const firstAnswer = await inFlight;
    expect([0, 503], `answer to the write cut off by the crash: ${firstAnswer}`).to.include(firstAnswer);

    await hub.startService('session');
    expect(await post(text)).to.equal(200);
    expect(await post(text), 'a second retry changes nothing').to.equal(200);
    const matches = (await stored()).filter((m) => m.content.content.text === text);
    expect(matches).to.have.length(1);
    expect(matches[0]!.localId).to.equal(`l-${text}`);
  });
});
