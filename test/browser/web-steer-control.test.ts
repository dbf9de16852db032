// Per-session control from the page: POST /api/sessions/:id/model, permission-mode, effort and
// switch, relayed as the CLI's set-session-config and switch RPCs.
import { expect } from 'chai';
import { waitFor } from '../helpers/hub-harness.js';
import { mentions, recordNetwork, screenshot } from '../helpers/browser.js';
import { expectTidy, logIn, startWebFixture, type WebFixture } from './fixture.js';
import { startStandInSession, type StandInSession } from './cli-session.js';

describe('browser: alice switches the model, permission mode and effort, and takes a session remote', function () {
  this.timeout(120_000);
  let fx: WebFixture;
  let s: StandInSession;

  before(async () => {
    fx = await startWebFixture();
    await logIn(fx.alice, fx.hub.url, fx.token.alice);
    await logIn(fx.bob, fx.hub.url, fx.token.bob);
    s = await startStandInSession(fx.hub.url, fx.token.alice, { path: '/srv/alice/app', flavor: 'claude' });
    // the CLI applies what it is asked and says so, as hapi does
    s.answer('set-session-config', (p) => ({ applied: p }));
    s.answer('switch', () => ({ ok: true }));
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

  it('when alice switches the model, the permission mode and the effort, then the CLI is asked for each', async () => {
    const { page } = fx.alice;
    await page.getByText('Agent settings').click();
    await page.getByLabel('Model', { exact: true }).selectOption('opus');
    const model = await waitFor(() => s.rpcs.find((r) => r.method === 'set-session-config' && 'model' in r.params) ?? null, { what: 'model RPC' });
    expect(model.params).to.deep.equal({ model: 'opus' });
    await page.getByText('Model switched.').waitFor();
    await page.getByLabel('Permission mode').selectOption('acceptEdits');
    await waitFor(() => s.rpcs.find((r) => r.method === 'set-session-config' && r.params.permissionMode === 'acceptEdits') ?? null, { what: 'mode RPC' });
    await page.getByLabel('Effort', { exact: true }).selectOption('high');
    await waitFor(() => s.rpcs.find((r) => r.method === 'set-session-config' && r.params.effort === 'high') ?? null, { what: 'effort RPC' });
    await screenshot(page, 'agent-settings');
  });

  it('when a terminal-started session is switched to remote, then the CLI gets the switch RPC', async () => {
    const { page } = fx.alice;
    await s.setAgentState({ controlledByUser: true });
    await page.getByRole('button', { name: 'Switch to remote' }).click();
    const rpc = await waitFor(() => s.rpcs.find((r) => r.method === 'switch') ?? null, { what: 'switch RPC' });
    expect(rpc.params).to.deep.equal({ to: 'remote' });
  });

  it("when bob's page has been open all along, then it never fetched or was sent anything of alice's", async () => {
    const net = recordNetwork(fx.bob);
    await fx.bob.page.reload();
    await fx.bob.page.getByRole('heading', { name: 'No sessions in bob yet' }).waitFor();
    expect(mentions(net, [s.id, '/srv/alice/app'])).to.deep.equal([]);
  });
});
