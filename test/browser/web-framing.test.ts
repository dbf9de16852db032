import { expect } from 'chai';
import http from 'node:http';
import type { Browser } from 'playwright-core';
import { launchBrowser, openTab } from '../helpers/browser.js';
import { startHub, type Hub } from '../helpers/hub-harness.js';
import { freePort, waitFor } from '../helpers/ports.js';

/**
 * The page's CSP lets only the page itself and Telegram's web clients frame it (a Mini App is
 * framed there): another site that frames it to overlay and steal clicks gets nothing.
 */
describe('browser: who may frame the page', function () {
  this.timeout(90_000);
  let hub: Hub;
  let browser: Browser;
  let site: http.Server;
  let siteUrl = '';

  before(async () => {
    hub = await startHub();
    // Chromium refuses a public origin (Telegram's, answered by the test) a frame of a loopback
    // address (local network access); a real hub is not on loopback, so that check is off here.
    browser = await launchBrowser(['--disable-features=LocalNetworkAccessChecks']);
    const port = await freePort();
    site = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(`<!doctype html><title>other site</title><iframe id="f" src="${hub.url}/" width="375" height="600"></iframe>`);
    });
    await new Promise<void>((resolve) => site.listen(port, '127.0.0.1', resolve));
    // Another origin than the hub's: a different port.
    siteUrl = `http://127.0.0.1:${port}/`;
  });
  after(async () => {
    await browser?.close();
    site?.close();
    await hub?.stop();
  });

  it('when another site frames the page, then the browser refuses to show it there; opened directly, it loads', async () => {
    const tab = await openTab(browser, 'framer');
    try {
      await tab.page.goto(`${hub.url}/`);
      const pageTitle = await tab.page.title();
      expect(pageTitle).to.not.equal('');
      const refused: string[] = [];
      tab.page.on('console', (m) => {
        if (/frame-ancestors/.test(m.text())) refused.push(m.text());
      });
      await tab.page.goto(siteUrl);
      await waitFor(() => refused.length > 0, { timeoutMs: 10_000, what: 'the frame-ancestors refusal' });
      const framed = tab.page.frames().find((f) => f !== tab.page.mainFrame());
      const framedTitle = await framed?.title().catch(() => null);
      expect(framedTitle ?? null).to.not.equal(pageTitle);
    } finally {
      await tab.close();
    }
  });

  it("when Telegram's web client frames the page (a Mini App), then it loads inside the frame", async () => {
    const tab = await openTab(browser, 'telegram');
    try {
      // Telegram's origin, answered by the test itself: nothing leaves the machine.
      const telegram = 'https://web.telegram.org/';
      await tab.page.route(`${telegram}**`, (route) =>
        route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: `<!doctype html><title>telegram</title><iframe id="f" src="${hub.url}/" width="375" height="600"></iframe>` }),
      );
      const refused: string[] = [];
      tab.page.on('console', (m) => {
        if (/frame-ancestors/.test(m.text())) refused.push(m.text());
      });
      await tab.page.goto(`${hub.url}/`);
      const pageTitle = await tab.page.title();
      await tab.page.goto(telegram);
      await waitFor(async () => (await tab.page.frames().find((f) => f !== tab.page.mainFrame())?.title().catch(() => '')) === pageTitle, { timeoutMs: 10_000, what: 'the page inside the frame' });
      await tab.page.frameLocator('#f').getByLabel('Access token').waitFor();
      expect(refused).to.deep.equal([]);
    } finally {
      await tab.close();
    }
  });
});
