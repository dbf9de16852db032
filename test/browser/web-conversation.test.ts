import { expect } from 'chai';
import { http, waitFor } from '../helpers/hub-harness.js';
import { mentions, recordNetwork, screenshot, type NetworkEntry } from '../helpers/browser.js';
import { expectTidy, logIn, startWebFixture, type WebFixture } from './fixture.js';
import { startStandInSession, type StandInSession } from './cli-session.js';
import { CONVERSATION, PENDING_REQUESTS } from '../unit/web/hapi-messages.js';

describe('browser: a conversation with every HAPI content type, as alice reads it and bob never sees it', function () {
  this.timeout(120_000);
  let fx: WebFixture;
  let s: StandInSession;
  let bobNet: NetworkEntry[];

  before(async () => {
    fx = await startWebFixture();
    bobNet = recordNetwork(fx.bob);
    await logIn(fx.alice, fx.hub.url, fx.token.alice);
    await logIn(fx.bob, fx.hub.url, fx.token.bob);
    s = await startStandInSession(fx.hub.url, fx.token.alice, { path: '/srv/alice/app', host: 'alice-laptop' });
  });
  after(async () => {
    s?.stop();
    await fx?.stop();
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'passed') await expectTidy(fx.alice, fx.bob);
  });

  it('when the CLI posts each content type (half before the page opens, half live), then each renders as HAPI shows it', async () => {
    const { page } = fx.alice;
    const half = 7;
    for (const m of CONVERSATION.slice(0, half)) s.post(m);
    await waitFor(async () => (await http(fx.hub.url, 'GET', `/cli/sessions/${s.id}/messages?afterSeq=0&limit=200`, { token: fx.token.alice })).json?.messages?.length === half, {
      timeoutMs: 10_000,
      what: 'the first messages stored',
    });
    await page.goto(`${fx.hub.url}/sessions/${s.id}`);
    const chat = page.getByTestId('messages');
    await chat.getByText('Please fix the failing test in src/math.ts').waitFor();
    for (const m of CONVERSATION.slice(half)) s.post(m);
    // Markdown: a styled heading (not a page heading), code highlighted once the grammar loaded, a task list, a table
    await chat.getByText('Plan for the fix').waitFor();
    expect(await page.getByRole('heading', { name: 'Plan for the fix' }).count()).to.equal(0);
    await chat.locator('pre.code .hljs-keyword').first().waitFor({ timeout: 5000 });
    expect(await chat.locator('pre.code').first().textContent()).to.include('return a + b;');
    await chat.locator('table').getByText('src/math.ts').waitFor();
    // untrusted text: the web link stays, the javascript: one is not a link, raw HTML is text
    expect(await chat.getByRole('link', { name: 'the docs' }).getAttribute('href')).to.equal('https://example.com/docs');
    expect(await chat.getByRole('link', { name: 'this', exact: true }).count()).to.equal(0);
    await chat.getByText('<img src=x onerror="window.__pwned=1"> stays text.', { exact: false }).waitFor();
    expect(await chat.locator('img, script').count()).to.equal(0);
    expect(await page.evaluate('window.__pwned === undefined')).to.equal(true);
    // live rows: Codex's answer and the mode switch arrive without a reload
    await chat.getByText('Done: add adds again and all 12 tests pass.', { exact: false }).waitFor({ timeout: 3000 });
    await chat.getByText('Switched to remote control').waitFor();
    // tool calls are collapsed by default, one line each with their state
    const tools = chat.locator('details.tool');
    expect(await tools.count()).to.equal(6);
    for (let i = 0; i < 6; i++) expect(await tools.nth(i).getAttribute('open')).to.equal(null);
    const bash = chat.locator('details.tool[data-tool="Bash"]');
    expect(await bash.locator('summary').textContent()).to.include('Run the math tests').and.include('Failed');
    expect(await bash.getByText('expected 5, received -1').isVisible()).to.equal(false);
    await screenshot(page, 'conversation-collapsed');
    // expanded: output, the diff, the todos, the plan, Codex's command, the thinking
    await bash.locator('summary').click();
    await bash.getByText('expected 5, received -1', { exact: false }).waitFor();
    const edit = chat.locator('details.tool[data-tool="Edit"]');
    await edit.locator('summary').click();
    await edit.locator('.dl-add').filter({ hasText: 'return a + b;' }).waitFor();
    await edit.locator('.dl-del').filter({ hasText: 'return a - b;' }).waitFor();
    expect(await edit.locator('.diff-count').first().textContent()).to.include('+1').and.include('−1');
    const todos = chat.locator('details.tool[data-tool="TodoWrite"]');
    expect(await todos.locator('summary').textContent()).to.include('1 of 3 done');
    await todos.locator('summary').click();
    await todos.locator('.todo-in_progress').getByText('Fix add()').waitFor();
    const plan = chat.locator('details.tool[data-tool="ExitPlanMode"]');
    await plan.locator('summary').click();
    await plan.locator('strong').getByText('all').waitFor();
    const shell = chat.locator('details.tool[data-tool="CodexBash"]');
    await shell.locator('summary').click();
    await shell.getByText('src/math.ts:1:export function add').waitFor();
    const steps = chat.locator('details.tool[data-tool="update_plan"]');
    expect(await steps.locator('summary').textContent()).to.include('1 of 2 steps done');
    const thinking = chat.locator('details.thinking').first();
    expect(await thinking.getAttribute('open')).to.equal(null);
    await thinking.locator('summary').click();
    await thinking.getByText('the implementation subtracts', { exact: false }).waitFor();
    await screenshot(page, 'conversation-expanded');
    await page.setViewportSize({ width: 1280, height: 900 });
    await screenshot(page, 'conversation-desktop');
    await page.setViewportSize({ width: 375, height: 667 });
  });

  it("when the agent asks permission and a question, then HAPI's options reach the CLI: approve for session, answers, deny with a reason", async () => {
    const { page } = fx.alice;
    await s.setAgentState({ requests: PENDING_REQUESTS });
    await page.getByRole('button', { name: 'Approve for session Bash' }).waitFor({ timeout: 3000 });
    await page.getByRole('button', { name: 'Approve Bash', exact: true }).waitFor();
    expect(await page.getByLabel('Arguments for Bash').textContent()).to.include('rm -rf dist && npm run build');
    await page.getByRole('group', { name: 'Changelog: Which changelog format?' }).waitFor();
    await screenshot(page, 'permission-options');
    await page.getByRole('radio', { name: /Keep a Changelog/ }).check();
    await page.getByRole('button', { name: 'Submit answers' }).click();
    const answer = await waitFor(() => s.rpcs.find((r) => r.method === 'permission' && r.params.id === 'req-question') ?? null, { what: 'answers RPC' });
    expect(answer.params).to.deep.include({ approved: true, answers: { '0': ['Keep a Changelog'] } });
    await page.getByRole('button', { name: 'Approve for session Bash' }).click();
    const bash = await waitFor(() => s.rpcs.find((r) => r.method === 'permission' && r.params.id === 'req-bash') ?? null, { what: 'approve RPC' });
    expect(bash.params).to.deep.include({ approved: true, allowTools: ['Bash(rm -rf dist && npm run build)'] });
    // the CLI resolves both; a new request is denied with a reason, which reaches the agent as a message
    await s.setAgentState({ requests: { 'req-rm': { tool: 'Bash', arguments: { command: 'rm -rf /' } } }, completedRequests: { 'req-bash': { tool: 'Bash', arguments: {}, status: 'approved' } } });
    await page.getByRole('button', { name: 'Deny Bash' }).click();
    await page.getByLabel('Why not? (optional, sent to the agent)').fill('Never delete the root folder.');
    await page.getByRole('button', { name: 'Deny Bash' }).click();
    const deny = await waitFor(() => s.rpcs.find((r) => r.method === 'permission' && r.params.id === 'req-rm') ?? null, { what: 'deny RPC' });
    expect(deny.params).to.deep.include({ approved: false });
    const update = await s.cli.waitEvent('update', (u) => JSON.stringify(u).includes('Never delete the root folder.'));
    expect(update.body.t).to.equal('new-message');
    await s.setAgentState({ requests: {}, completedRequests: { 'req-rm': { tool: 'Bash', arguments: {}, status: 'denied' } } });
    await page.getByRole('button', { name: 'Deny Bash' }).waitFor({ state: 'detached', timeout: 3000 });
  });

  it("when bob uses his page all along, then it never showed, fetched or was sent anything of alice's", async () => {
    await fx.bob.page.getByRole('heading', { name: 'No sessions in bob yet' }).waitFor();
    // bob opens alice's session URL directly: HAPI's refusal, and no content
    await fx.bob.page.goto(`${fx.hub.url}/sessions/${s.id}`);
    await fx.bob.page.getByRole('alert').getByText('Session access denied').waitFor();
    fx.bob.allow(/403/);
    expect(await fx.bob.page.getByText('Please fix the failing test').count()).to.equal(0);
    const leaks = mentions(bobNet, ['Please fix the failing test', 'rm -rf dist', 'alice-laptop', '/srv/alice/app']);
    expect(leaks, JSON.stringify(leaks, null, 1)).to.deep.equal([]);
    // bob's log names alice's session only where he typed its address: the page itself and the refusal
    const typed = `${fx.hub.url}/sessions/${s.id}`;
    const named = mentions(bobNet, [s.id]).filter((e) => e.url !== typed && !(e.status === 403 && e.url.includes(`/api/sessions/${s.id}`)));
    expect(named, JSON.stringify(named, null, 1)).to.deep.equal([]);
    await fx.bob.page.goto(`${fx.hub.url}/`);
    await fx.bob.page.getByRole('heading', { name: 'No sessions in bob yet' }).waitFor();
  });
});
