import { expect } from 'chai';
import { connectCli, type CliSocket } from '../helpers/cli-socket.js';
import { createCliSession, http, MACHINE_METADATA, startHub, webToken, type Hub } from '../helpers/hub-harness.js';
import { nestedJson } from './bad-values.js';
import { connectRawCli, RawJson } from './raw-socket.js';
import { handshakeFrameBytes } from './socket-cases.js';

const TOO_DEEP = { error: 'Invalid body: JSON nested deeper than 100 levels' };
/** The gateway's default TEAMHUB_PREAUTH_BODY_BYTES, the largest socket frame before a handshake authenticates. */
const PRE_AUTH_FRAME_BYTES = 64 * 1024;

/**
 * The fifteen inputs issue 14 found answered badly (a 500 from a stack overflow, `internal` from
 * int64 encoding, one credential with two answers), each through the gateway the way a client
 * sends it, with the exact answer it gets now.
 */
describe('bad input: the inputs issue 14 found, each refused at its cause', function () {
  this.timeout(60_000);
  let hub: Hub;
  let alice = '';
  let jwt = '';
  let sid = '';
  let cli: CliSocket;
  let machineCli: CliSocket;
  const machineId = 'known-bad-inputs-machine';

  before(async () => {
    hub = await startHub();
    alice = `${hub.baseToken}:alice`;
    jwt = await webToken(hub.url, alice);
    sid = (await createCliSession(hub.url, alice)).id as string;
    cli = await connectCli(hub.url, alice, { sessionId: sid });
    const m = await http(hub.url, 'POST', '/cli/machines', { token: alice, body: { id: machineId, metadata: MACHINE_METADATA, runnerState: { status: 'offline' } } });
    expect(m.status).to.equal(200);
    machineCli = await connectCli(hub.url, alice, { machineId });
  });
  after(async () => {
    cli?.close();
    machineCli?.close();
    await hub?.stop();
  });

  const post = (path: string, raw: string, token = alice) => http(hub.url, 'POST', path, { token, rawBody: raw, headers: { 'content-type': 'application/json' } });

  it('when metadata, agentState, runnerState or attachments are nested 100,000 deep, then 400 says so (no stack overflow, no 500)', async () => {
    const deep = nestedJson(100_000);
    const answers = [
      await post('/cli/sessions', `{"tag":"deep-metadata","metadata":${deep}}`),
      await post('/cli/sessions', `{"tag":"deep-state","metadata":{"path":"/p","host":"h"},"agentState":${deep}}`),
      await post('/cli/machines', `{"id":"deep-runner","metadata":{"host":"h","platform":"linux","happyCliVersion":"0.30.7"},"runnerState":${deep}}`),
      await post(`/api/sessions/${sid}/messages`, `{"text":"hi","localId":"deep-attachments","attachments":[${deep}]}`, jwt),
    ];
    for (const r of answers) {
      expect(r.status, r.text.slice(0, 200)).to.equal(400);
      expect(r.json).to.deep.equal(TOO_DEEP);
    }
    // Nothing was written: no session by either tag, no machine, no message.
    const sessions = await http(hub.url, 'GET', '/api/sessions?limit=500', { token: jwt });
    expect(sessions.json.sessions.map((s: { id: string }) => s.id)).to.deep.equal([sid]);
    expect((await http(hub.url, 'GET', '/cli/machines/deep-runner', { token: alice })).status).to.equal(404);
    expect((await http(hub.url, 'GET', `/cli/sessions/${sid}/messages?afterSeq=0`, { token: alice })).json.messages).to.deep.equal([]);
  });

  it('when expectedVersion is 1e308, -1e308 or 1.5 on update-metadata, update-state or machine-update-state, then the ack is a clear refusal and nothing changes', async () => {
    const before = (await http(hub.url, 'GET', `/cli/sessions/${sid}`, { token: alice })).json.session;
    for (const expectedVersion of [1e308, -1e308, 1.5]) {
      for (const [event, field] of [['update-metadata', 'metadata'], ['update-state', 'agentState']] as const) {
        const ack = await cli.ack(event, { sid, expectedVersion, [field]: { path: '/p', host: 'h' } });
        // HAPI's answer to a payload of the wrong shape, the same as machine-update-state's below.
        expect(ack, `${event} ${expectedVersion}`).to.deep.equal({ result: 'error' });
      }
      const ack = await machineCli.ack('machine-update-state', { machineId, expectedVersion, runnerState: { status: 'running' } });
      expect(ack, `machine-update-state ${expectedVersion}`).to.deep.equal({ result: 'error' });
    }
    const after = (await http(hub.url, 'GET', `/cli/sessions/${sid}`, { token: alice })).json.session;
    expect(after.metadataVersion).to.equal(before.metadataVersion);
    expect(after.agentStateVersion).to.equal(before.agentStateVersion);
  });

  it('when a CLI message has createdAt 1e308, -1e308 or 1.5, then its ack is a clear refusal and nothing is stored; a valid one is acked with its seq', async () => {
    for (const createdAt of [1e308, -1e308, 1.5]) {
      const ack = await cli.ack('message', { sid, localId: `bad-time-${createdAt}`, createdAt, message: { role: 'agent', content: { type: 'text', text: 'x' } } });
      expect(ack, String(createdAt)).to.deep.equal({ result: 'error', reason: 'invalid', message: 'createdAt must be an integer time in ms' });
    }
    const ok = await cli.ack('message', { sid, localId: 'good-time', createdAt: Date.now(), message: { role: 'agent', content: { type: 'text', text: 'x' } } });
    expect(ok).to.include({ result: 'success', seq: 1 });
    const stored = (await http(hub.url, 'GET', `/cli/sessions/${sid}/messages?afterSeq=0`, { token: alice })).json.messages as Array<{ localId: string }>;
    expect(stored.map((m) => m.localId)).to.deep.equal(['good-time']);
  });

  it('when a /cli handshake is larger than the pre-authentication frame limit (a 64 KiB token or session id, JSON nested 100,000 deep), then a reconnecting client is refused "Handshake too large" at once and does not retry; deep JSON that fits is refused as a token', async () => {
    const tooLarge = `Handshake too large (at most ${PRE_AUTH_FRAME_BYTES} bytes before authentication)`;
    const cases: Array<[string, unknown, string]> = [
      ['a 64 KiB token', { token: 'x'.repeat(64 * 1024), clientType: 'session-scoped' }, tooLarge],
      ['a 64 KiB session id', { token: alice, clientType: 'session-scoped', sessionId: 's'.repeat(64 * 1024) }, tooLarge],
      ['a 64 KiB machine id', { token: alice, clientType: 'machine-scoped', machineId: 'm'.repeat(64 * 1024) }, tooLarge],
      ['an auth object nested 100,000 deep', new RawJson(nestedJson(100_000)), tooLarge],
      ['a token nested 100,000 deep', new RawJson(`{"token":${nestedJson(100_000)}}`), tooLarge],
      // Under the limit the handshake reads the frame: deep JSON is no token, promptly.
      ['an auth object nested 10,000 deep', new RawJson(nestedJson(10_000)), 'Invalid token'],
      ['a token nested 10,000 deep', new RawJson(`{"token":${nestedJson(10_000)}}`), 'Invalid token'],
    ];
    for (const [what, auth, refusal] of cases) {
      expect(handshakeFrameBytes(auth) > PRE_AUTH_FRAME_BYTES, `${what}: over the limit`).to.equal(refusal === tooLarge);
      // The hapi CLI reconnects forever on a closed connection; a connect_error is final to it.
      const r = await connectRawCli(hub.url, auth, 3000, { reconnection: true });
      r.socket.close();
      expect({ refused: r.refused, retries: r.retries, closed: r.closed }, what).to.deep.equal({ refused: refusal, retries: false, closed: undefined });
    }
    // The gateway is unharmed: a handshake that fits connects.
    const ok = await connectRawCli(hub.url, { token: alice, clientType: 'session-scoped', sessionId: sid });
    ok.socket.close();
    expect(ok.refused ?? ok.closed).to.equal(undefined);
  });

  it('when an access token holds a lone surrogate, then a login body, an Authorization header with the same bytes and a socket handshake all refuse it as an invalid token', async () => {
    const login = await post('/api/auth', `{"accessToken":"${hub.baseToken}:a\\ud800"}`, '');
    expect(login.status).to.equal(401);
    expect(login.json).to.deep.equal({ error: 'Invalid access token' });
    const header = Buffer.concat([Buffer.from(`Bearer ${hub.baseToken}:a`), Buffer.from([0xed, 0xa0, 0x80])]).toString('latin1');
    const viaHeader = await http(hub.url, 'GET', '/cli/machines/none', { authorization: header });
    expect(viaHeader.status).to.equal(401);
    expect(viaHeader.json).to.deep.equal({ error: 'Invalid token' });
    const refused = await connectCli(hub.url, `${hub.baseToken}:a\ud800`).then(
      (s) => (s.close(), 'connected'),
      (err: Error) => err.message,
    );
    expect(refused).to.equal('Invalid token');
    // The replacement character is a namespace of its own, and nothing was made in it.
    const other = await webToken(hub.url, `${hub.baseToken}:a\ufffd`);
    expect((await http(hub.url, 'GET', '/api/sessions', { token: other })).json.sessions).to.deep.equal([]);
  });
});
