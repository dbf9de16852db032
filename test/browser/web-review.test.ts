// The git and file routes: GET /api/sessions/:id/git-status, git-diff-numstat,
// git-diff-file, file and directory (relayed to the session CLI's git-status, git-diff-numstat,
// git-diff-file, readFile and listDirectory RPCs).
import { expect } from 'chai';
import { http } from '../helpers/hub-harness.js';
import { recordNetwork, mentions, screenshot } from '../helpers/browser.js';
import { expectTidy, logIn, startWebFixture, type WebFixture } from './fixture.js';
import { startStandInSession, type StandInSession } from './cli-session.js';

const STATUS = ['# branch.head fix/add', '# branch.upstream origin/fix/add', '# branch.ab +1 -0', '1 .M N... 100644 100644 100644 aa bb src/math.ts', '? notes.txt', ''].join('\n');
const DIFF = 'diff --git a/src/math.ts b/src/math.ts\n--- a/src/math.ts\n+++ b/src/math.ts\n@@ -1,3 +1,3 @@\n export function add(a, b) {\n-  return a - b;\n+  return a + b;\n }\n';
const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('browser: alice reviews what the agent changed', function () {
  this.timeout(90_000);
  let fx: WebFixture;
  let s: StandInSession;
  let bobJwt: string;

  before(async () => {
    fx = await startWebFixture();
    await logIn(fx.alice, fx.hub.url, fx.token.alice);
    bobJwt = await logIn(fx.bob, fx.hub.url, fx.token.bob);
    s = await startStandInSession(fx.hub.url, fx.token.alice, { path: '/srv/alice/app' });
    s.answer('git-status', () => ({ success: true, stdout: STATUS, stderr: '', exitCode: 0 }));
    s.answer('git-diff-numstat', (p) => ({ success: true, stdout: p.staged ? '' : '1\t1\tsrc/math.ts\n', exitCode: 0 }));
    s.answer('git-diff-file', (p) => ({ success: true, stdout: p.filePath === 'src/math.ts' ? DIFF : '', exitCode: 0 }));
    s.answer('listDirectory', (p) =>
      p.path === 'src'
        ? { success: true, entries: [{ name: 'math.ts', type: 'file', size: 60 }] }
        : { success: true, entries: [{ name: 'src', type: 'directory' }, { name: 'notes.txt', type: 'file', size: 12 }] },
    );
    s.answer('readFile', (p) => ({ success: true, content: b64(p.path === 'notes.txt' ? 'remember me\n' : 'export function add(a, b) {\n  return a + b;\n}\n') }));
  });
  after(async () => {
    s?.stop();
    await fx?.stop();
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'passed') await expectTidy(fx.alice, fx.bob);
  });

  it('when alice opens Review, then git status lists the changed and untracked files, and a file shows its diff', async () => {
    const { page } = fx.alice;
    await page.goto(`${fx.hub.url}/sessions/${s.id}?tab=review`);
    await page.getByTestId('git-branch').getByText('On branch fix/add').waitFor();
    await page.getByRole('button', { name: /src\/math\.ts/ }).click();
    const diff = page.getByTestId('diff');
    await diff.locator('.dl-add').filter({ hasText: 'return a + b;' }).waitFor();
    await diff.locator('.dl-del').filter({ hasText: 'return a - b;' }).waitFor();
    expect(s.rpcs.find((r) => r.method === 'git-diff-file')?.params).to.deep.include({ filePath: 'src/math.ts', cwd: '/srv/alice/app' });
    await screenshot(page, 'review-diff');
    // an untracked file has no git diff: it shows as all added
    await page.getByRole('button', { name: /notes\.txt/ }).click();
    await page.getByTestId('diff').locator('.dl-add').filter({ hasText: 'remember me' }).waitFor();
  });

  it('when alice browses Files, then folders open and a file shows its text', async () => {
    const { page } = fx.alice;
    await page.getByRole('navigation', { name: 'Session' }).getByRole('link', { name: 'Files' }).click();
    await page.getByRole('button', { name: 'src/' }).click();
    await page.getByRole('button', { name: /math\.ts/ }).click();
    await page.locator('pre.code').getByText('return a + b;').waitFor();
    await screenshot(page, 'files-view');
  });

  it("when bob asks for alice's git status or files with his own login, then HAPI's 403 and no RPC reaches alice's CLI", async () => {
    const net = recordNetwork(fx.bob);
    const before = s.rpcs.length;
    for (const path of ['git-status', 'git-diff-numstat?staged=false', 'git-diff-file?path=src/math.ts', 'file?path=notes.txt', 'directory']) {
      const res = await http(fx.hub.url, 'GET', `/api/sessions/${s.id}/${path}`, { token: bobJwt });
      expect(res.status, path).to.equal(403);
      expect(res.json).to.deep.equal({ error: 'Session access denied' });
    }
    expect(s.rpcs.length).to.equal(before);
    expect(mentions(net, ['remember me', 'return a'])).to.deep.equal([]);
  });
});
