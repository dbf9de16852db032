import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { screenshot } from '../helpers/browser.js';
import { machineIdOf, stopRunner, teamhub, tempDir } from '../e2e/cli-tool-support.js';
import { loginHome, startTeamhubRun, writePageAgent, type RunningSession } from './cli-tools.js';
import { expectTidy, logIn, startWebFixture, type WebFixture } from './fixture.js';

const OUTSIDE = "Directory is outside this machine's workspace roots";

/**
 * The page against the REAL client tools: `teamhub run` and `teamhub runner` (on the second gateway
 * replica) wrapping a tiny node agent, the pages on the first replica.
 */
describe('browser: the page with the real teamhub run and runner (two gateway replicas)', function () {
  this.timeout(60_000);
  let fx: WebFixture;
  let base: string;
  let ws: string;
  let home: string;
  let agent: string;
  let cliUrl: string;
  let run: RunningSession | undefined;
  let runnerStarted = false;

  before(async () => {
    base = tempDir('th-web-cli-');
    ws = path.join(base, 'ws');
    home = path.join(base, 'home-alice');
    fs.mkdirSync(path.join(ws, 'app'), { recursive: true });
    agent = writePageAgent(base);
    fx = await startWebFixture({}, 2);
    cliUrl = fx.hub.urls[1]!;
    await Promise.all([loginHome(home, cliUrl, fx.token.alice), logIn(fx.alice, fx.hub.url, fx.token.alice), logIn(fx.bob, fx.hub.url, fx.token.bob)]);
  });
  after(async () => {
    await run?.stop();
    if (runnerStarted) await stopRunner(home, cliUrl);
    await fx?.stop();
    if (base) fs.rmSync(base, { recursive: true, force: true });
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'passed') await expectTidy(fx.alice, fx.bob);
  });

  it("when `teamhub run` starts a session for alice, then her page shows it live (never bob's), her messages reach the command and Approve reaches the CLI", async () => {
    const { page } = fx.alice;
    await page.getByRole('heading', { name: 'No sessions in alice yet' }).waitFor();
    await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
    await fx.bob.page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
    // bob's page notes every session row that ever appears in it
    await fx.bob.page.evaluate(`(() => {
      window.seenSessions = [];
      new MutationObserver(() => {
        for (const el of document.querySelectorAll('[data-session-id]')) window.seenSessions.push(el.getAttribute('data-session-id'));
      }).observe(document.body, { childList: true, subtree: true });
    })()`);

    run = await startTeamhubRun({ home, url: cliUrl, cwd: ws, name: 'demo', command: ['node', agent] });
    const reported = Date.now();
    const item = page.locator(`[data-session-id="${run.id}"]`);
    await item.getByText('demo').waitFor({ timeout: 2000 });
    expect(Date.now() - reported).to.be.below(2000 + 500);

    await item.locator('a').click();
    await page.getByRole('heading', { name: 'demo' }).waitFor();
    const messages = page.getByTestId('messages');
    await messages.locator('.msg-agent').getByText(`hello, agent here in ${ws}`).waitFor();

    const text = 'hello from alice in the browser';
    await page.getByLabel('Message to the agent').fill(text);
    await page.getByRole('button', { name: 'Send' }).click();
    await messages.locator('.msg-agent').getByText(`got: ${text}`, { exact: true }).waitFor();
    expect(run.output()).to.include(`got: ${text}\n`);

    await page.getByLabel('Message to the agent').fill('please ask');
    await page.getByRole('button', { name: 'Send' }).click();
    await page.getByRole('button', { name: 'Approve Bash' }).waitFor();
    await page.getByRole('button', { name: 'Deny Bash' }).waitFor();
    expect(await page.getByLabel('Arguments for Bash').textContent()).to.include('make test');
    await expectTidy(fx.alice);
    await page.evaluate('window.scrollTo(0, 0)'); // the sticky header then sits at the top of the full-page shot
    await screenshot(page, 'cli-run-session');
    await page.getByRole('button', { name: 'Approve Bash' }).click();
    await messages.locator('.msg-agent').getByText('approved!', { exact: true }).waitFor();
    expect(run.output()).to.match(/got: ::permission-result \S+ approved\napproved!\n/);
    await page.getByRole('button', { name: 'Approve Bash' }).waitFor({ state: 'detached' });

    // bob's live list never showed it, and the hub does not list it for him either
    expect(await fx.bob.page.evaluate<string[]>('window.seenSessions')).to.deep.equal([]);
    await fx.bob.page.reload();
    await fx.bob.page.getByRole('heading', { name: 'No sessions in bob yet' }).waitFor();
  });

  it('when alice spawns from the page on her `teamhub runner`, then the session runs the agent; outside the roots the runner\'s error shows; bob sees no machine', async () => {
    const { page } = fx.alice;
    const started = await teamhub(['runner', 'start', '--workspace-root', ws, '--agent-command', `node ${JSON.stringify(agent)}`], { home, url: cliUrl });
    runnerStarted = true;
    expect(started.code, started.stderr).to.equal(0);
    const machineId = machineIdOf(home)!;

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'New session' }).click();
    const machine = page.getByLabel('Machine', { exact: true });
    await machine.locator(`option[value="${machineId}"]`).waitFor({ state: 'attached', timeout: 5000 });
    await machine.selectOption(machineId);
    await page.waitForFunction(`document.getElementById('spawn-dir').value === ${JSON.stringify(ws)}`);
    await page.getByRole('button', { name: 'Browse folders' }).click();
    await page.getByRole('button', { name: 'app/' }).click();
    await page.getByRole('navigation', { name: `Folders in ${path.join(ws, 'app')}` }).waitFor();
    expect(await page.getByLabel('Folder on the machine').inputValue()).to.equal(path.join(ws, 'app'));
    await page.getByRole('button', { name: 'Start session' }).click();
    await page.getByTestId('spawn-result').getByText('Session started').waitFor({ timeout: 20_000 });
    await expectTidy(fx.alice);
    await screenshot(page, 'cli-spawn');

    await page.getByRole('link', { name: 'Open it' }).click();
    await page.getByRole('heading', { name: 'app' }).waitFor();
    await page.getByTestId('messages').locator('.msg-agent').getByText(`hello, agent here in ${path.join(ws, 'app')}`).waitFor();
    const sid = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'New session' }).click();
    await machine.selectOption(machineId);
    await page.getByLabel('Folder on the machine').fill('/etc');
    await page.getByRole('button', { name: 'Start session' }).click();
    await page.getByTestId('spawn-result').getByText(OUTSIDE).waitFor();

    const sessions = await teamhub(['sessions', '--json'], { home, url: cliUrl });
    expect(JSON.parse(sessions.stdout).map((s: { id: string }) => s.id)).to.include(sid).and.have.length(2);

    await fx.bob.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'New session' }).click();
    await fx.bob.page.getByRole('heading', { name: 'No machine is online' }).waitFor();
  });
});
