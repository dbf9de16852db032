// The page's attachments: POST /api/sessions/:id/upload relayed to the session CLI's uploadFile
// RPC, and the message then carries the attachment the CLI stored.
import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mentions, recordNetwork } from '../helpers/browser.js';
import { expectTidy, logIn, startWebFixture, type WebFixture } from './fixture.js';
import { startStandInSession, type StandInSession } from './cli-session.js';

describe('browser: alice attaches a file to a message', function () {
  this.timeout(120_000);
  let fx: WebFixture;
  let s: StandInSession;

  before(async () => {
    fx = await startWebFixture();
    await logIn(fx.alice, fx.hub.url, fx.token.alice);
    await logIn(fx.bob, fx.hub.url, fx.token.bob);
    s = await startStandInSession(fx.hub.url, fx.token.alice, { path: '/srv/alice/app', flavor: 'claude' });
    // the CLI stores the upload and answers its path, as hapi does
    s.answer('uploadFile', (p) => ({ success: true, path: `/tmp/hapi-uploads/${p.sessionId}/${p.filename}` }));
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

  it('when alice attaches a file and sends, then the upload reaches the CLI and the message carries the attachment', async () => {
    const { page } = fx.alice;
    const dir = mkdtempSync(path.join(os.tmpdir(), 'teamhub-upload-'));
    const file = path.join(dir, 'build.txt');
    writeFileSync(file, 'error: add() subtracts\n');
    await page.locator('#attach-files').setInputFiles(file);
    await page.getByText('attached', { exact: true }).waitFor();
    const upload = s.rpcs.find((r) => r.method === 'uploadFile')!;
    expect(Buffer.from(upload.params.content, 'base64').toString()).to.equal('error: add() subtracts\n');
    expect(upload.params).to.deep.include({ filename: 'build.txt', mimeType: 'text/plain' });
    await page.getByLabel('Message to the agent').fill('see the log');
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    const update = await s.cli.waitEvent('update', (u) => JSON.stringify(u).includes('see the log'));
    const content = update.body.message.content.content;
    expect(content.attachments[0]).to.deep.include({ filename: 'build.txt', mimeType: 'text/plain', path: `/tmp/hapi-uploads/${s.id}/build.txt`, size: 23 });
    await page.getByTestId('messages').getByText('build.txt').waitFor();
  });

  it("when bob's page has been open all along, then it never fetched or was sent anything of alice's", async () => {
    const net = recordNetwork(fx.bob);
    await fx.bob.page.reload();
    await fx.bob.page.getByRole('heading', { name: 'No sessions in bob yet' }).waitFor();
    expect(mentions(net, [s.id, 'build.txt'])).to.deep.equal([]);
  });
});
