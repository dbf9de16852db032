import { expect } from 'chai';
import { randomBytes, randomUUID } from 'node:crypto';
import { connectCli, type CliSocket } from '../../helpers/cli-socket.js';
import { FakeRunner, registerMachine } from '../../helpers/hapi-runner.js';
import { rawHttp } from '../../badinput/raw-http.js';
import { createCliSession, http, httpDeclaredBody, startHub, waitFor, webToken, type Hub } from '../../helpers/hub-harness.js';

/** The gateway's default body limit (TEAMHUB_MAX_BODY_BYTES). */
const GATEWAY_MAX_BODY_BYTES = 8 * 1024 * 1024;

/**
 * Two edges of the routes that take more than the usual input: the upload routes accept bodies
 * beyond the gateway's limit (a 50 MB file as base64), and the model catalogs read a `cwd`
 * query. A body declared that large that never arrives is answered 413 instead of waiting for
 * ever, while a real large upload still goes through; a body over what is read before a
 * credential holds gets its 413 read by the client; a query parameter given twice is a 400, not
 * a 500, and reaches no runner.
 */
describe('gateway: large upload bodies that stall, and catalog queries given twice', function () {
  this.timeout(90_000);
  let hub: Hub;
  let jwt: string;
  let sessionId: string;
  let cli: CliSocket;
  let runner: FakeRunner;
  const uploads: Array<{ filename: string; content: string }> = [];
  const mid = `m-alice-${randomUUID()}`;

  before(async () => {
    hub = await startHub();
    const alice = `${hub.baseToken}:alice`;
    jwt = await webToken(hub.url, alice);
    sessionId = (await createCliSession(hub.url, alice)).id;
    cli = await connectCli(hub.url, alice, { sessionId });
    cli.socket.on('rpc-request', (req: { method: string; params: string }, ack: (s: string) => void) => {
      const p = JSON.parse(req.params) as { filename: string; content: string; sessionId: string };
      if (req.method === `${sessionId}:uploadFile`) {
        uploads.push(p);
        ack(JSON.stringify({ success: true, path: `/tmp/hapi-blobs/${p.sessionId}/${p.filename}` }));
      } else ack(JSON.stringify({ error: 'Method not found' }));
    });
    cli.socket.emit('rpc-register', { method: `${sessionId}:uploadFile` });
    cli.socket.emit('session-alive', { sid: sessionId, time: Date.now(), thinking: false });
    await waitFor(async () => (await http(hub.url, 'GET', `/api/sessions/${sessionId}`, { token: jwt })).json?.session?.active === true, { what: 'session active' });

    expect((await registerMachine(hub.url, alice, mid)).status).to.equal(200);
    runner = await FakeRunner.connect(hub.url, alice, mid);
    runner.answer = (_method, params) => ({ success: true, availableModels: [{ modelId: `for ${(params as { cwd: string }).cwd}` }] });
    runner.register('listOpencodeModelsForCwd', 'listGrokModelsForCwd', 'listCopilotModelsForCwd');
    runner.startHeartbeat(1000);
  });
  after(async () => {
    cli?.close();
    runner?.close();
    await hub?.stop();
  });

  for (const route of ['upload', 'scratchlist/upload']) {
    it(`when a body beyond the gateway's limit is declared on /${route} and never sent, then 413 Payload too large and the connection closes`, async () => {
      const started = Date.now();
      const r = await httpDeclaredBody(hub.url, 'POST', `/api/sessions/${sessionId}/${route}`, { authorization: `Bearer ${jwt}`, 'content-type': 'application/json' }, GATEWAY_MAX_BODY_BYTES + 1);
      expect(r.status, r.text).to.equal(413);
      expect(JSON.parse(r.text)).to.deep.equal({ error: 'Payload too large' });
      // Within the stall window (5 s) and well before the client's own 10 s timeout.
      expect(Date.now() - started).to.be.below(9_000);
    });
  }

  it('when a body is declared beyond the limit with a credential that no longer holds, then 413 from the header, not a 401', async () => {
    // A logged-out JWT: the size is the reason whoever asks, and the client can fix it.
    const gone = await webToken(hub.url, `${hub.baseToken}:alice`);
    expect((await http(hub.url, 'POST', '/api/auth/logout', { token: gone, body: {} })).status).to.be.below(300);
    const r = await httpDeclaredBody(hub.url, 'POST', '/api/auth/logout', { authorization: `Bearer ${gone}`, 'content-type': 'application/json' }, GATEWAY_MAX_BODY_BYTES + 1);
    expect(r.status, r.text).to.equal(413);
    expect(JSON.parse(r.text)).to.deep.equal({ error: 'Payload too large' });
    // Within the limit, the credential is checked as before.
    const within = await httpDeclaredBody(hub.url, 'POST', '/api/auth/logout', { authorization: `Bearer ${gone}`, 'content-type': 'application/json' }, GATEWAY_MAX_BODY_BYTES, '{');
    expect(within.status, within.text).to.equal(401);
  });

  it('when a login or an admin call sends a body over the pre-auth limit, then the client reads the 413 every time, never a reset connection', async () => {
    // 4 MiB, far over the 64 KiB read before a credential holds (and more than the socket buffers
    // hold, so the client is still writing when the answer is ready); sent whole, as a client would.
    const body = JSON.stringify({ accessToken: 'x'.repeat(4 * 1024 * 1024) });
    const answers: string[] = [];
    for (let i = 0; i < 3; i++) {
      for (const target of ['/api/auth', '/api/bind', '/admin/v1/namespaces']) {
        const a = await rawHttp(hub.url, { method: 'POST', target, headers: { 'content-type': 'application/json', authorization: `Bearer ${hub.adminToken}` }, body }).then((r) => `${r.status} ${r.text}`, (err: Error) => `no answer: ${err.message}`);
        answers.push(`${target} ${a}`);
      }
    }
    expect(answers.filter((a) => !a.endsWith(' 413 {"error":"Payload too large"}'))).to.deep.equal([]);
  });

  it('when a real upload is larger than the gateway\'s limit, then it still reaches the CLI whole', async () => {
    const bytes = randomBytes(7 * 1024 * 1024); // ~9.3 MiB as base64: beyond the gateway's 8 MiB
    const r = await http(hub.url, 'POST', `/api/sessions/${sessionId}/upload`, { token: jwt, body: { filename: 'big.bin', content: bytes.toString('base64'), mimeType: 'application/octet-stream' }, timeoutMs: 30_000 });
    expect(r.status, r.text.slice(0, 200)).to.equal(200);
    expect(r.json).to.deep.equal({ success: true, path: `/tmp/hapi-blobs/${sessionId}/big.bin` });
    expect(Buffer.from(uploads.at(-1)!.content, 'base64').equals(bytes)).to.equal(true);
  });

  for (const catalog of ['opencode-models', 'grok-models', 'copilot-models']) {
    it(`when /${catalog} is asked with cwd given twice, then 400 Invalid query and nothing reaches the runner; once, the runner answers`, async () => {
      const before = runner.requests.length;
      const twice = await http(hub.url, 'GET', `/api/machines/${mid}/${catalog}?cwd=%2Fsrv%2Fa&cwd=%2Fsrv%2Fb`, { token: jwt });
      expect(twice.status, twice.text).to.equal(400);
      expect(twice.json).to.deep.equal({ error: 'Invalid query' });
      expect(runner.requests.length).to.equal(before);
      const once = await http(hub.url, 'GET', `/api/machines/${mid}/${catalog}?cwd=%2Fsrv%2Fa`, { token: jwt });
      expect(once.status, once.text).to.equal(200);
      expect(once.json).to.deep.equal({ success: true, availableModels: [{ modelId: 'for /srv/a' }] });
    });
  }
});
