// GET /api/machines/:id/agent-availability and /api/machines/:id/codex-models on the page's
// new-session form (relayed to the runner's agent-availability and listCodexModels RPCs).
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { http, MACHINE_METADATA, waitFor } from '../helpers/hub-harness.js';
import { FakeRunner, registerMachine } from '../helpers/hapi-runner.js';
import { screenshot } from '../helpers/browser.js';
import { expectTidy, logIn, startWebFixture, type WebFixture } from './fixture.js';

describe('browser: the new-session form knows the agents and models', function () {
  this.timeout(90_000);
  let fx: WebFixture;
  let runner: FakeRunner;
  let bobJwt: string;
  const mid = `m-alice-${randomUUID()}`;

  before(async () => {
    fx = await startWebFixture();
    await logIn(fx.alice, fx.hub.url, fx.token.alice);
    bobJwt = await logIn(fx.bob, fx.hub.url, fx.token.bob);
    const metadata = { ...MACHINE_METADATA, host: 'alice-laptop', workspaceRoots: ['/tmp/ws-alice'], capabilities: ['agent-availability'] };
    expect((await registerMachine(fx.hub.url, fx.token.alice, mid, metadata)).status).to.equal(200);
    runner = await FakeRunner.connect(fx.hub.url, fx.token.alice, mid);
    runner.answer = (method, params) => {
      if (method.endsWith(':agent-availability')) return { agents: [{ agent: 'claude', available: true }, { agent: 'codex', available: true }, { agent: 'gemini', available: false, reason: 'not_found' }] };
      if (method.endsWith(':listCodexModels')) return { success: true, models: [{ id: 'gpt-5.5', displayName: 'GPT-5.5', isDefault: true, supportedReasoningEfforts: ['low', 'high'] }] };
      if (method.endsWith(':spawn-happy-session')) return { type: 'success', sessionId: `spawned-${(params as { directory: string }).directory.length}` };
      return {};
    };
    runner.register('agent-availability', 'listCodexModels', 'spawn-happy-session', 'list-directory');
    runner.startHeartbeat(1000);
  });
  after(async () => {
    runner?.close();
    await fx?.stop();
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'passed') await expectTidy(fx.alice, fx.bob);
  });

  it('when alice opens the form, then unavailable agents are marked, Codex offers the machine models, and spawn carries the choice', async () => {
    const { page } = fx.alice;
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'New session' }).click();
    await page.getByTestId('agent-availability').getByText('2 agents available on this machine.').waitFor({ timeout: 5000 });
    expect(await page.locator('#spawn-agent option[value="gemini"]').getAttribute('disabled')).to.not.equal(null);
    expect(await page.locator('#spawn-agent option[value="gemini"]').textContent()).to.include('not installed');
    await page.getByLabel('Agent').selectOption('codex');
    await page.locator('#spawn-model option[value="gpt-5.5"]').waitFor({ state: 'attached' });
    await page.getByLabel('Model').selectOption('gpt-5.5');
    await page.getByLabel('Reasoning effort').selectOption('high');
    await screenshot(page, 'spawn-catalogs');
    await page.getByRole('button', { name: 'Start session' }).click();
    const spawn = await waitFor(() => runner.requests.find((r) => r.method.endsWith(':spawn-happy-session')) ?? null, { what: 'spawn RPC' });
    expect(spawn.params).to.deep.include({ agent: 'codex', model: 'gpt-5.5', modelReasoningEffort: 'high', directory: '/tmp/ws-alice' });
  });

  it("when bob opens the form, then he sees no machine, and asking for alice's catalogs is refused", async () => {
    await fx.bob.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'New session' }).click();
    await fx.bob.page.getByRole('heading', { name: 'No machine is online' }).waitFor();
    const asked = runner.requests.length;
    for (const route of ['agent-availability', 'codex-models']) {
      const res = await http(fx.hub.url, 'GET', `/api/machines/${mid}/${route}`, { token: bobJwt });
      expect(res.status, route).to.equal(403);
      expect(res.json).to.deep.equal({ error: 'Machine access denied' });
    }
    expect(runner.requests.length).to.equal(asked);
  });
});
