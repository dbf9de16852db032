import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { http, waitFor, MACHINE_METADATA, SESSION_METADATA } from '../helpers/hub-harness.js';
import { connectCli, type CliSocket } from '../helpers/cli-socket.js';
import { FakeRunner, registerMachine } from '../helpers/hapi-runner.js';
import { screenshot, VIEWPORT } from '../helpers/browser.js';
import { expectTidy, logIn, startWebFixture, type WebFixture } from './fixture.js';

/**
 * A CLI session the way `hapi` starts one: POST /cli/sessions, then a session socket kept alive,
 * on the OTHER gateway replica than the pages use, so every live update crosses replicas.
 */
interface CliSession {
  id: string;
  cli: CliSocket;
  /** What the next session-alive heartbeats say (sent at once too). */
  setThinking(thinking: boolean): void;
  stop(): void;
}

async function startCliSession(fx: WebFixture, token: string, path: string): Promise<CliSession> {
  const cliUrl = fx.hub.urls[1] ?? fx.hub.url;
  const res = await http(cliUrl, 'POST', '/cli/sessions', { token, body: { tag: randomUUID(), metadata: { ...SESSION_METADATA, path }, agentState: {} } });
  expect(res.status, res.text).to.equal(200);
  const id = res.json.session.id as string;
  const cli = await connectCli(cliUrl, token, { sessionId: id });
  let thinking = false;
  const alive = () => cli.socket.emit('session-alive', { sid: id, time: Date.now(), thinking });
  alive();
  const timer = setInterval(alive, 2000);
  const setThinking = (t: boolean) => ((thinking = t), alive());
  return { id, cli, setThinking, stop: () => (clearInterval(timer), cli.close()) };
}

describe('browser: the web page as alice and bob use it (two gateway replicas)', function () {
  this.timeout(90_000);
  let fx: WebFixture;
  const stops: Array<() => void> = [];
  let session: CliSession;

  before(async () => {
    fx = await startWebFixture({}, 2);
  });
  after(async () => {
    for (const s of stops) s();
    await fx?.stop();
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'passed') await expectTidy(fx.alice, fx.bob);
  });

  it('when alice and bob log in, then each sees the login form first, then their own namespace and an empty list', async () => {
    await fx.alice.page.goto(`${fx.hub.url}/`);
    await fx.alice.page.getByLabel('Access token').waitFor();
    await expectTidy(fx.alice);
    await screenshot(fx.alice.page, 'login');
    await logIn(fx.alice, fx.hub.url, fx.token.alice);
    await logIn(fx.bob, fx.hub.url, fx.token.bob);
    expect(await fx.alice.page.getByTestId('namespace').textContent()).to.equal('alice');
    expect(await fx.bob.page.getByTestId('namespace').textContent()).to.equal('bob');
    await fx.alice.page.getByRole('heading', { name: 'No sessions in alice yet' }).waitFor();
    await fx.bob.page.getByRole('heading', { name: 'No sessions in bob yet' }).waitFor();
    await fx.alice.page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
    await screenshot(fx.alice.page, 'sessions-empty');
  });

  it("when a CLI starts a session for alice, then it appears on alice's page within 2 s without reload and never on bob's", async () => {
    const started = Date.now();
    const s = await startCliSession(fx, fx.token.alice, '/srv/alice/projects/teamhub-web');
    stops.push(s.stop);
    session = s;
    await fx.alice.page.locator(`[data-session-id="${s.id}"]`).waitFor({ timeout: 2000 });
    expect(Date.now() - started).to.be.below(2000 + 500);
    await fx.alice.page.locator(`[data-session-id="${s.id}"]`).getByText('Active').waitFor();
    // bob's own session shows up on his page, so his stream is live, and alice's is not there
    const b = await startCliSession(fx, fx.token.bob, '/srv/bob/work');
    stops.push(b.stop);
    await fx.bob.page.locator(`[data-session-id="${b.id}"]`).waitFor({ timeout: 2000 });
    expect(await fx.bob.page.locator(`[data-session-id="${s.id}"]`).count()).to.equal(0);
    expect(await fx.alice.page.locator(`[data-session-id="${b.id}"]`).count()).to.equal(0);
    expect(await fx.bob.page.locator('[data-session-id]').count()).to.equal(1);
    await screenshot(fx.alice.page, 'sessions-list');
  });

  it("when alice's runner is online, then alice's machines page lists it with host and name, and bob's shows none", async () => {
    const mid = `m-alice-${randomUUID()}`;
    const metadata = { ...MACHINE_METADATA, host: 'alice-laptop', displayName: "Alice's laptop", workspaceRoots: ['/tmp/ws-alice'] };
    expect((await registerMachine(fx.hub.url, fx.token.alice, mid, metadata)).status).to.equal(200);
    const runner = await FakeRunner.connect(fx.hub.urls[1]!, fx.token.alice, mid);
    stops.push(() => runner.close());
    runner.startHeartbeat(1000);
    await fx.alice.page.getByRole('link', { name: 'Machines' }).click();
    const item = fx.alice.page.locator(`[data-machine-id="${mid}"]`);
    await item.waitFor({ timeout: 5000 });
    expect(await item.textContent()).to.include("Alice's laptop").and.include('alice-laptop');
    await fx.bob.page.getByRole('link', { name: 'Machines' }).click();
    await fx.bob.page.getByRole('heading', { name: 'No machines online' }).waitFor();
    await screenshot(fx.alice.page, 'machines');
    await fx.bob.page.getByRole('link', { name: 'Sessions' }).click();
  });

  it('when alice sends a message from the session view, then the CLI socket receives it as an update new-message', async () => {
    const { page } = fx.alice;
    await page.getByRole('link', { name: 'Sessions' }).click();
    await page.locator(`[data-session-id="${session.id}"] a`).click();
    await page.getByRole('heading', { name: 'teamhub-web' }).waitFor();
    const text = `hello from the browser ${randomUUID().slice(0, 8)}`;
    await page.getByLabel('Message to the agent').fill(text);
    await page.getByRole('button', { name: 'Send' }).click();
    const update = await session.cli.waitEvent('update', (u) => JSON.stringify(u).includes(text));
    expect(update.body.t).to.equal('new-message');
    // the agent answers: the page shows it live
    session.cli.socket.emit('message', {
      sid: session.id,
      message: { role: 'agent', content: { type: 'output', data: { type: 'assistant', message: { content: [{ type: 'text', text: 'Hi alice, on it.' }] } } }, meta: { sentFrom: 'cli' } },
    });
    await page.getByTestId('messages').getByText('Hi alice, on it.').waitFor({ timeout: 2000 });
    await page.getByTestId('messages').getByText(text).waitFor();
  });

  it("when the agent asks for permission, then approve/deny buttons appear and Approve reaches the CLI's permission RPC", async () => {
    const { page } = fx.alice;
    const { cli, id } = session;
    const calls: any[] = [];
    cli.socket.on('rpc-request', (req: { method: string; params: string }, ack: (s: string) => void) => {
      calls.push({ method: req.method, params: JSON.parse(req.params) });
      ack(JSON.stringify({ ok: true }));
    });
    cli.socket.emit('rpc-register', { method: `${id}:permission` });
    const requests = { 'req-1': { tool: 'Bash', arguments: { command: 'npm test' }, createdAt: Date.now() } };
    await page.getByRole('link', { name: 'Sessions' }).first().click();
    const item = page.locator(`[data-session-id="${id}"]`);
    await item.waitFor();
    const ack = await cli.ack('update-state', { sid: id, expectedVersion: 1, agentState: { requests } });
    expect(ack.result, JSON.stringify(ack)).to.equal('success');
    session.setThinking(true);
    // the list says so live: a pending request and a thinking agent
    await item.getByTestId('pending-count').getByText('1 pending request').waitFor({ timeout: 2000 });
    await item.getByText('Thinking').waitFor({ timeout: 2000 });
    await screenshot(page, 'sessions-pending');
    await item.locator('a').click();
    await page.getByRole('button', { name: 'Approve Bash' }).waitFor({ timeout: 2000 });
    await page.getByRole('button', { name: 'Deny Bash' }).waitFor();
    await expectTidy(fx.alice);
    await screenshot(page, 'session-permission');
    await page.getByRole('button', { name: 'Approve Bash' }).click();
    const call = await waitForCall(calls);
    expect(call).to.deep.include({ method: `${id}:permission` });
    expect(call.params).to.include({ id: 'req-1', approved: true });
    const done = await cli.ack('update-state', { sid: id, expectedVersion: ack.version, agentState: { requests: {}, completedRequests: { 'req-1': { ...requests['req-1'], status: 'approved' } } } });
    expect(done.result).to.equal('success');
    await page.getByRole('button', { name: 'Approve Bash' }).waitFor({ state: 'detached', timeout: 2000 });
    await screenshot(page, 'session');
  });

  it('when a session has more messages than one page, then "Load older messages" brings in the rest, oldest first', async () => {
    const { page } = fx.alice;
    const s = await startCliSession(fx, fx.token.alice, '/srv/alice/long-chat');
    stops.push(s.stop);
    const agent = (text: string) => ({ role: 'agent', content: { type: 'output', data: { type: 'assistant', message: { content: [{ type: 'text', text }] } } } });
    for (let i = 1; i <= 60; i++) s.cli.socket.emit('message', { sid: s.id, message: agent(`line ${i}`) });
    await waitFor(async () => {
      const r = await http(fx.hub.url, 'GET', `/cli/sessions/${s.id}/messages?afterSeq=50&limit=200`, { token: fx.token.alice });
      return r.json?.messages?.length === 10;
    }, { timeoutMs: 10_000, what: '60 messages stored' });
    await page.goto(`${fx.hub.url}/sessions/${s.id}`);
    const rows = page.getByTestId('messages').locator('li');
    await page.getByText('line 60', { exact: true }).waitFor();
    expect(await rows.count()).to.equal(50);
    expect(await rows.first().textContent()).to.include('line 11');
    await page.getByRole('button', { name: 'Load older messages' }).click();
    await page.getByText('line 1', { exact: true }).waitFor();
    expect(await rows.count()).to.equal(60);
    expect(await rows.first().textContent()).to.include('line 1');
    expect(await page.getByRole('button', { name: 'Load older messages' }).count()).to.equal(0);
    await page.goto(`${fx.hub.url}/sessions/${session.id}`);
    await page.getByRole('heading', { name: 'teamhub-web' }).waitFor();
  });

  it('when alice renames, aborts and archives the session, then the list shows the name and the CLI gets abort and killSession', async () => {
    const { page } = fx.alice;
    const { cli, id } = session;
    cli.socket.emit('rpc-register', { method: `${id}:abort` });
    cli.socket.emit('rpc-register', { method: `${id}:killSession` });
    await page.getByRole('button', { name: 'Rename' }).click();
    await page.getByLabel('Session name').fill('Web page polish');
    await page.getByRole('button', { name: 'Save name' }).click();
    await page.getByRole('heading', { name: 'Web page polish' }).waitFor();
    await page.getByRole('button', { name: 'Abort' }).click();
    await page.getByText('Abort sent.').waitFor();
    await cli.waitEvent('rpc-request', (r) => r.method === `${id}:abort`);
    await page.getByRole('button', { name: 'Archive' }).click();
    await page.getByRole('button', { name: 'Yes, archive' }).click();
    await page.getByRole('heading', { name: 'Sessions', exact: true }).waitFor();
    await cli.waitEvent('rpc-request', (r) => r.method === `${id}:killSession`);
    await page.locator(`[data-session-id="${id}"]`).getByText('Web page polish').waitFor({ timeout: 2000 });
    await page.setViewportSize({ width: 1280, height: 800 });
    await screenshot(page, 'sessions-desktop');
    await page.setViewportSize(VIEWPORT);
  });
});

async function waitForCall(calls: any[]): Promise<any> {
  const deadline = Date.now() + 5000;
  while (!calls.length) {
    if (Date.now() > deadline) throw new Error('the permission RPC never reached the CLI');
    await new Promise((r) => setTimeout(r, 25));
  }
  return calls[0];
}
