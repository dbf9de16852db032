import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { http, MACHINE_METADATA, SESSION_METADATA } from '../helpers/hub-harness.js';
import { FakeRunner, registerMachine } from '../helpers/hapi-runner.js';
import { openTab, screenshot } from '../helpers/browser.js';
import { expectTidy, logIn, startWebFixture, trackJwt, type WebFixture } from './fixture.js';

const EXPIRED = 'Your session expired or was revoked. Please log in again.';
const OUTSIDE = "Directory is outside this machine's workspace roots";

describe('browser: spawning from the page, and losing the login', function () {
  this.timeout(90_000);
  let fx: WebFixture;
  let runner: FakeRunner;
  let aliceJwt: () => string | undefined;
  let spawnedId: string;
  const mid = `m-alice-${randomUUID()}`;

  before(async () => {
    fx = await startWebFixture();
    const metadata = { ...MACHINE_METADATA, host: 'alice-laptop', displayName: "Alice's laptop", workspaceRoots: ['/tmp/ws-alice'], capabilities: ['agent-availability'] };
    expect((await registerMachine(fx.hub.url, fx.token.alice, mid, metadata)).status).to.equal(200);
    // the session the runner "starts" (the real runner's child would create it the same way)
    const created = await http(fx.hub.url, 'POST', '/cli/sessions', { token: fx.token.alice, body: { tag: randomUUID(), metadata: { ...SESSION_METADATA, path: '/tmp/ws-alice/app' }, agentState: {} } });
    spawnedId = created.json.session.id;
    runner = await FakeRunner.connect(fx.hub.url, fx.token.alice, mid);
    runner.register('spawn-happy-session', 'list-directory', 'agent-availability');
    runner.answer = (method, params) => {
      const p = params as { path?: string; directory?: string };
      if (method.endsWith(':agent-availability')) return { agents: [{ agent: 'claude', available: true }] };
      if (method.endsWith(':list-directory')) {
        if (p.path === '/tmp/ws-alice') return { success: true, entries: [{ name: 'app', type: 'directory' }, { name: 'notes.txt', type: 'file' }] };
        return { success: true, entries: [] };
      }
      if (p.directory?.startsWith('/tmp/ws-alice')) return { type: 'success', sessionId: spawnedId };
      return { type: 'error', errorMessage: OUTSIDE, code: 'outside_workspace_roots' };
    };
    runner.startHeartbeat(1000);
    // bob's clock is controlled, so the test can let his web JWT near its expiry
    await fx.bob.page.clock.install();
    aliceJwt = trackJwt(fx.alice);
    await logIn(fx.alice, fx.hub.url, fx.token.alice);
    await logIn(fx.bob, fx.hub.url, fx.token.bob);
  });
  after(async () => {
    runner?.close();
    await fx?.stop();
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'passed') await expectTidy(fx.alice, fx.bob);
  });

  it('when alice browses folders and spawns in her workspace, then the page shows success; outside it, the runner\'s error text', async () => {
    const { page } = fx.alice;
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'New session' }).click();
    await page.getByLabel('Machine', { exact: true }).waitFor();
    expect(await page.getByLabel('Folder on the machine').inputValue()).to.equal('/tmp/ws-alice');
    await page.getByRole('button', { name: 'Browse folders' }).click();
    await page.getByRole('button', { name: 'app/' }).click();
    await page.getByRole('navigation', { name: 'Folders in /tmp/ws-alice/app' }).waitFor();
    expect(await page.getByLabel('Folder on the machine').inputValue()).to.equal('/tmp/ws-alice/app');
    expect(await page.getByRole('button', { name: 'notes.txt/' }).count()).to.equal(0);

    await page.getByLabel('Folder on the machine').fill('/etc');
    await page.getByRole('button', { name: 'Start session' }).click();
    await page.getByTestId('spawn-result').getByText(OUTSIDE).waitFor();
    await screenshot(page, 'spawn-error');

    await page.getByLabel('Folder on the machine').fill('/tmp/ws-alice/app');
    await page.getByRole('button', { name: 'Start session' }).click();
    await page.getByTestId('spawn-result').getByText('Session started').waitFor();
    await screenshot(page, 'spawn');
    const spawns = runner.requests.filter((r) => r.method === `${mid}:spawn-happy-session`);
    expect(spawns.map((r) => (r.params as { directory: string }).directory)).to.deep.equal(['/etc', '/tmp/ws-alice/app']);
    await page.getByRole('link', { name: 'Open it' }).click();
    await page.getByRole('heading', { name: 'app' }).waitFor();
    expect(new URL(page.url()).pathname).to.equal(`/sessions/${spawnedId}`);
  });

  it('when bob opens the spawn view, then he sees no machine (alice\'s runner is not his)', async () => {
    await fx.bob.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'New session' }).click();
    await fx.bob.page.getByRole('heading', { name: 'No machine is online' }).waitFor();
  });

  it('when a page is reloaded on a deep link, then the hub serves the page and it opens that view', async () => {
    await fx.alice.page.reload();
    await fx.alice.page.getByRole('heading', { name: 'app' }).waitFor();
    const api404 = await http(fx.hub.url, 'GET', '/api/no-such-route');
    expect(api404.status).to.equal(404);
    expect(api404.json).to.have.property('error');
  });

  it("when bob's web JWT nears expiry, then the page re-exchanges his stored token and stays logged in", async () => {
    const { page } = fx.bob;
    const refreshed = page.waitForResponse((r) => r.url().endsWith('/api/auth') && r.request().method() === 'POST');
    await page.clock.fastForward('03:59:30');
    expect((await refreshed).status()).to.equal(200);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Sessions' }).click();
    await page.getByRole('heading', { name: 'No sessions in bob yet' }).waitFor();
    expect(await page.getByTestId('namespace').textContent()).to.equal('bob');
  });

  it("when alice's web JWT is revoked (logout elsewhere), then her next step sends her to login with a clear message, and bob is unaffected", async () => {
    const { page } = fx.alice;
    fx.alice.allow(/status of 401|EventSource/); // the browser logs the hub's 401, which is the point here
    const out = await http(fx.hub.url, 'POST', '/api/auth/logout', { token: aliceJwt() });
    expect(out.status, out.text).to.equal(200);
    // If the hub ends the event stream of a revoked token, the page is at login already; else the next click finds out.
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Machines' })
      .click({ timeout: 3000 })
      .catch(async (err: unknown) => {
        if (!(await page.getByTestId('login-message').isVisible())) throw err;
      });
    await page.getByTestId('login-message').waitFor({ timeout: 5000 });
    expect(await page.getByTestId('login-message').textContent()).to.equal(EXPIRED);
    await page.getByLabel('Access token').waitFor();
    await screenshot(page, 'login-expired');
    await page.reload();
    await page.getByLabel('Access token').waitFor();
    expect(await page.getByTestId('namespace').count()).to.equal(0);
    await fx.bob.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Machines' }).click();
    await fx.bob.page.getByRole('heading', { name: 'No machines online' }).waitFor();
  });

  it('when the stored access token is no longer accepted, then the page opens on the login view with the message', async () => {
    const { page } = fx.alice;
    fx.alice.allow(/status of 401/);
    await page.evaluate(([k, v]) => (globalThis as any).localStorage.setItem(k, v), [`teamhub:access-token:${fx.hub.url}`, 'not-the-hub-token:alice']);
    await page.reload();
    await page.getByTestId('login-message').waitFor();
    expect(await page.getByTestId('login-message').textContent()).to.equal(EXPIRED);
    await logIn(fx.alice, fx.hub.url, fx.token.alice);
    expect(await page.getByTestId('namespace').textContent()).to.equal('alice');
  });

  it('when the page is opened with ?token=, then it logs in with it and removes it from the address bar', async () => {
    const tab = await openTab(fx.browser, 'link');
    try {
      await tab.page.goto(`${fx.hub.url}/machines?token=${encodeURIComponent(fx.token.bob)}`);
      await tab.page.getByRole('heading', { name: 'Machines', exact: true }).waitFor();
      expect(await tab.page.getByTestId('namespace').textContent()).to.equal('bob');
      expect(tab.page.url()).to.equal(`${fx.hub.url}/machines`);
      await expectTidy(tab);
    } finally {
      await tab.close();
    }
  });
});
