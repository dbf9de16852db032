// Web Push from the page's side: GET /api/push/vapid-public-key, POST/DELETE /api/push/subscribe,
// and the hub sending (with the web-push library) a permission request to the namespace's own
// subscriptions only, while no page of that namespace is visible (a visible one gets a toast).
import { expect } from 'chai';
import { waitFor } from '../helpers/hub-harness.js';
import { mentions, recordNetwork, screenshot } from '../helpers/browser.js';
import { expectTidy, logIn, startWebFixture, type WebFixture } from './fixture.js';
import { startStandInSession } from './cli-session.js';
import { fakePushManagerScript, PushServiceStub, type StubSubscription } from './push-service-stub.js';

describe('browser: notifications reach only their own namespace', function () {
  this.timeout(90_000);
  let fx: WebFixture;
  let push: PushServiceStub;
  let aliceSub: StubSubscription;
  let bobSub: StubSubscription;

  before(async () => {
    push = await PushServiceStub.start();
    fx = await startWebFixture(push.hubEnv);
    aliceSub = push.subscribe('alice');
    bobSub = push.subscribe('bob');
    for (const [tab, sub] of [[fx.alice, aliceSub], [fx.bob, bobSub]] as const) {
      await tab.context.grantPermissions(['notifications']);
      await tab.context.addInitScript(fakePushManagerScript(sub));
    }
    await logIn(fx.alice, fx.hub.url, fx.token.alice);
    await logIn(fx.bob, fx.hub.url, fx.token.bob);
  });
  after(async () => {
    await fx?.stop();
    await push?.stop();
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'passed') await expectTidy(fx.alice, fx.bob);
  });

  it('when alice and bob each turn notifications on, then each device registers its own subscription', async () => {
    for (const tab of [fx.alice, fx.bob]) {
      await tab.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
      const [res] = await Promise.all([
        tab.page.waitForResponse((r) => r.url().endsWith('/api/push/subscribe') && r.request().method() === 'POST'),
        tab.page.getByRole('button', { name: 'Turn on notifications' }).click(),
      ]);
      expect(res.status()).to.equal(200);
      await tab.page.getByTestId('push-status').getByText('On:').waitFor();
    }
    await screenshot(fx.alice.page, 'settings-push-on');
  });

  it("when alice's page is open and her agent asks, then the hub shows it there as a toast that opens the session, and does not push", async () => {
    const { page } = fx.alice;
    const before = push.to(aliceSub).length;
    const s = await startStandInSession(fx.hub.url, fx.token.alice, { path: '/srv/alice/visible', name: 'visible' });
    await s.setAgentState({ requests: { 'req-v': { tool: 'Bash', arguments: { command: 'make' }, createdAt: Date.now() } } });
    const toast = page.locator('.toast', { hasText: 'Permission Request' });
    await toast.waitFor({ timeout: 15_000 });
    expect(await toast.getAttribute('href')).to.equal(`/sessions/${s.id}`);
    await screenshot(page, 'toast');
    expect(push.to(aliceSub).length).to.equal(before);
    await toast.click();
    await page.getByRole('heading', { name: 'visible' }).waitFor();
    s.stop();
    await page.goto(`${fx.hub.url}/settings`);
  });

  it("when alice's agent asks for permission while her page is closed, then her subscription gets it (opening the session) and bob's never", async () => {
    const bobNet = recordNetwork(fx.bob);
    // no visible page of alice's: the hub pushes instead of showing a toast
    await fx.alice.page.goto('about:blank');
    const s = await startStandInSession(fx.hub.url, fx.token.alice, { path: '/srv/alice/app', name: 'fix-add' });
    await s.setAgentState({ requests: { 'req-1': { tool: 'Bash', arguments: { command: 'npm publish' }, createdAt: Date.now() } } });
    const got = await waitFor(() => push.to(aliceSub)[0] ?? null, { timeoutMs: 15_000, what: "alice's push" });
    expect(got.headers['content-encoding']).to.equal('aes128gcm');
    expect(String(got.headers.authorization)).to.match(/^vapid t=/);
    expect(got.payload).to.deep.include({ title: 'Permission Request' });
    expect((got.payload as { data: unknown }).data).to.deep.include({ sessionId: s.id, url: `/sessions/${s.id}`, requestId: 'req-1' });
    // bob's own session asks too: his device hears about his, never about alice's
    await fx.bob.page.goto('about:blank');
    const b = await startStandInSession(fx.hub.url, fx.token.bob, { path: '/srv/bob/work' });
    await b.setAgentState({ requests: { 'req-b': { tool: 'Edit', arguments: {}, createdAt: Date.now() } } });
    await waitFor(() => push.to(bobSub)[0] ?? null, { timeoutMs: 15_000, what: "bob's push" });
    expect(push.to(bobSub).every((p) => (p.payload as { data: { sessionId: string } }).data.sessionId === b.id)).to.equal(true);
    expect(push.to(aliceSub).every((p) => (p.payload as { data: { sessionId: string } }).data.sessionId === s.id)).to.equal(true);
    expect(mentions(bobNet, [s.id, 'npm publish'])).to.deep.equal([]);
    s.stop();
    b.stop();
    await fx.alice.page.goto(`${fx.hub.url}/settings`);
    await fx.bob.page.goto(`${fx.hub.url}/settings`);
    await fx.alice.page.getByTestId('push-status').getByText('On:').waitFor();
  });

  it('when alice turns notifications off, then the hub forgets her subscription and later requests are not pushed to it', async () => {
    const { page } = fx.alice;
    const [res] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/api/push/subscribe') && r.request().method() === 'DELETE'),
      page.getByRole('button', { name: 'Turn off notifications' }).click(),
    ]);
    expect(res.status()).to.equal(200);
    await page.getByTestId('push-status').getByText('Off on this device.').waitFor();
    const aliceBefore = push.to(aliceSub).length;
    const bobBefore = push.to(bobSub).length;
    await fx.alice.page.goto('about:blank');
    await fx.bob.page.goto('about:blank');
    const s = await startStandInSession(fx.hub.url, fx.token.alice, { path: '/srv/alice/other' });
    const b = await startStandInSession(fx.hub.url, fx.token.bob, { path: '/srv/bob/other' });
    await s.setAgentState({ requests: { 'req-2': { tool: 'Bash', arguments: { command: 'ls' }, createdAt: Date.now() } } });
    await b.setAgentState({ requests: { 'req-3': { tool: 'Bash', arguments: { command: 'ls' }, createdAt: Date.now() } } });
    // bob's push proves the hub sent this round; alice's unsubscribed device got none of it
    await waitFor(() => push.to(bobSub).length > bobBefore, { timeoutMs: 15_000, what: "bob's second push" });
    expect(push.to(aliceSub).length).to.equal(aliceBefore);
    s.stop();
    b.stop();
    await fx.alice.page.goto(`${fx.hub.url}/settings`);
    await fx.bob.page.goto(`${fx.hub.url}/settings`);
    await fx.alice.page.getByTestId('push-status').getByText('Off on this device.').waitFor();
  });
});
