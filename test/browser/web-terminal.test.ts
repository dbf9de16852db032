// The `/terminal` Socket.IO namespace (web side: terminal:create/write/resize/close with a web
// JWT; relayed to the CLI socket of the same namespace as terminal:open/write/...).
import { expect } from 'chai';
import { io } from 'socket.io-client';
import { waitFor } from '../helpers/hub-harness.js';
import { screenshot } from '../helpers/browser.js';
import { expectTidy, logIn, startWebFixture, type WebFixture } from './fixture.js';
import { startStandInSession, type StandInSession } from './cli-session.js';

describe('browser: a web terminal on the session machine', function () {
  this.timeout(90_000);
  let fx: WebFixture;
  let s: StandInSession;
  let bobJwt: string;
  const opened: any[] = [];

  before(async () => {
    fx = await startWebFixture();
    await logIn(fx.alice, fx.hub.url, fx.token.alice);
    bobJwt = await logIn(fx.bob, fx.hub.url, fx.token.bob);
    s = await startStandInSession(fx.hub.url, fx.token.alice, { path: '/srv/alice/app', capabilities: { terminal: true } });
    // the stand-in CLI is a shell that echoes what it is sent
    s.cli.socket.on('terminal:open', (d: { sessionId: string; terminalId: string }) => {
      opened.push(d);
      s.cli.socket.emit('terminal:ready', { sessionId: d.sessionId, terminalId: d.terminalId });
      s.cli.socket.emit('terminal:output', { sessionId: d.sessionId, terminalId: d.terminalId, data: 'alice@laptop:~/app$ ' });
    });
    s.cli.socket.on('terminal:write', (d: { sessionId: string; terminalId: string; data: string }) => {
      s.cli.socket.emit('terminal:output', { sessionId: d.sessionId, terminalId: d.terminalId, data: d.data === '\r' ? '\r\nechoed!\r\n' : d.data });
    });
  });
  after(async () => {
    s?.stop();
    await fx?.stop();
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'passed') await expectTidy(fx.alice, fx.bob);
  });

  it('when alice opens the Terminal tab and types, then the keys reach the CLI and its output shows in xterm', async () => {
    const { page } = fx.alice;
    await page.goto(`${fx.hub.url}/sessions/${s.id}?tab=terminal`);
    await page.getByTestId('terminal-status').getByText('Connected').waitFor({ timeout: 10_000 });
    expect(opened[0]).to.deep.include({ sessionId: s.id });
    expect(opened[0].cols).to.be.a('number');
    await page.locator('.xterm-helper-textarea').focus();
    await page.keyboard.type('ls');
    await page.keyboard.press('Enter');
    await page.locator('.xterm-rows').getByText('echoed!').waitFor({ timeout: 5000 });
    expect(await page.locator('.xterm-rows').textContent()).to.include('alice@laptop:~/app$ ls');
    await screenshot(page, 'terminal');
  });

  it("when bob opens a terminal on alice's session with his login, then he gets an error and alice's CLI sees nothing", async () => {
    const before = opened.length;
    const sock = io(`${fx.hub.url}/terminal`, { path: '/socket.io/', transports: ['websocket'], auth: { token: bobJwt }, reconnection: false, forceNew: true });
    const errors: any[] = [];
    sock.on('terminal:error', (e) => errors.push(e));
    await new Promise<void>((resolve, reject) => (sock.once('connect', () => resolve()), sock.once('connect_error', reject)));
    sock.emit('terminal:create', { sessionId: s.id, terminalId: 'bob-term', cols: 80, rows: 24 });
    await waitFor(() => errors.length > 0, { what: 'terminal:error for bob' });
    sock.emit('terminal:write', { terminalId: 'bob-term', data: 'cat ~/.ssh/id_rsa\r' });
    sock.close();
    expect(errors[0]).to.deep.include({ terminalId: 'bob-term' });
    expect(opened.length).to.equal(before);
  });
});
