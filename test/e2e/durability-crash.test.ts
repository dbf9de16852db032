import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { startHub, http, waitFor, webToken, createCliSession, type Hub } from '../helpers/hub-harness.js';
import { connectCli, type CliSocket } from '../helpers/cli-socket.js';

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

  it('when the service is killed mid-stream, then every message answered 200 is there after restart, once, in seq order', async () => {
    // Four writers post one message after another; the service is SIGKILLed once ten have been
    // acknowledged, so up to four writes are in flight at the moment of the crash.
    const results = new Map<string, number>();
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

  it('when a refused message is retried with the same localId after the restart, then it is stored exactly once', async () => {
    const text = `retry-${randomUUID().slice(0, 8)}`;
    expect(await post(text)).to.equal(200);
    expect(await post(text)).to.equal(200);
    const matches = (await stored()).filter((m) => m.content.content.text === text);
    expect(matches).to.have.length(1);
  });
});
