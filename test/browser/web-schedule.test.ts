// Scheduled and queued messages from the page: POST /api/sessions/:id/messages with
// `scheduledAt` held until due, and DELETE /api/sessions/:id/messages/:messageId with the
// `message-cancelled` SSE event.
import { expect } from 'chai';
import { http } from '../helpers/hub-harness.js';
import { mentions, recordNetwork, screenshot } from '../helpers/browser.js';
import { expectTidy, logIn, startWebFixture, type WebFixture } from './fixture.js';
import { startStandInSession, type StandInSession } from './cli-session.js';

function newMessages(s: StandInSession): any[] {
  return s.cli.events('update').filter((u) => u?.body?.t === 'new-message');
}

/** A `datetime-local` value `ms` from now, to the second, in the page's local time. */
function localInput(ms: number): string {
  const d = new Date(Date.now() + ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

describe('browser: alice schedules and cancels messages to the agent', function () {
  this.timeout(120_000);
  let fx: WebFixture;
  let s: StandInSession;

  before(async () => {
    fx = await startWebFixture();
    await logIn(fx.alice, fx.hub.url, fx.token.alice);
    await logIn(fx.bob, fx.hub.url, fx.token.bob);
    s = await startStandInSession(fx.hub.url, fx.token.alice, { path: '/srv/alice/app', flavor: 'claude' });
    await fx.alice.page.goto(`${fx.hub.url}/sessions/${s.id}`);
    await fx.alice.page.getByRole('heading', { name: 'app' }).waitFor();
  });
  after(async () => {
    s?.stop();
    await fx?.stop();
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'passed') await expectTidy(fx.alice, fx.bob);
  });

  it('when alice schedules a message, then it shows as scheduled and reaches the CLI at its time, not before', async () => {
    const { page } = fx.alice;
    const text = 'run the nightly checks';
    await page.getByRole('button', { name: 'Schedule', exact: true }).click();
    await page.getByLabel('Deliver at').fill(localInput(6_000));
    await page.getByLabel('Message to the agent').fill(text);
    const sentAt = Date.now();
    await page.getByRole('button', { name: 'Schedule message' }).click();
    const row = page.locator('li.msg-you', { hasText: text });
    await row.getByText('Scheduled for').waitFor();
    await screenshot(page, 'scheduled-message');
    expect(newMessages(s).some((u) => JSON.stringify(u).includes(text))).to.equal(false);
    await s.cli.waitEvent('update', (u) => JSON.stringify(u).includes(text), 20_000);
    expect(Date.now() - sentAt).to.be.at.least(4_000);
  });

  it('when alice cancels a queued message, then it leaves the conversation and the CLI never gets it', async () => {
    const { page } = fx.alice;
    const text = 'actually, never mind this one';
    await page.getByRole('button', { name: 'Schedule', exact: true }).click();
    await page.getByLabel('Deliver at').fill(localInput(60_000));
    await page.getByLabel('Message to the agent').fill(text);
    await page.getByRole('button', { name: 'Schedule message' }).click();
    const row = page.locator('li.msg-you', { hasText: text });
    await row.getByRole('button', { name: 'Cancel this message' }).click();
    await row.waitFor({ state: 'detached', timeout: 5000 });
    const res = await http(fx.hub.url, 'GET', `/cli/sessions/${s.id}/messages?afterSeq=0&limit=200`, { token: fx.token.alice });
    expect(JSON.stringify(res.json)).to.not.include(text);
  });

  it("when bob's page has been open all along, then it never fetched or was sent anything of alice's", async () => {
    const net = recordNetwork(fx.bob);
    await fx.bob.page.reload();
    await fx.bob.page.getByRole('heading', { name: 'No sessions in bob yet' }).waitFor();
    expect(mentions(net, [s.id, 'nightly checks', 'never mind'])).to.deep.equal([]);
  });
});
