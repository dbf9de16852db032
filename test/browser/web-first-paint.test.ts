import { expect } from 'chai';
import { recordNetwork } from '../helpers/browser.js';
import { expectTidy, logIn, startWebFixture, type WebFixture } from './fixture.js';

// What the first paint may load: the page shell only. The conversation renderer (Markdown), the
// highlighter and its grammars, the diff engine and the terminal (xterm.js, Socket.IO) are split
// off and must arrive only when a view needs them.
const HEAVY = [/\/assets\/session-/, /\/assets\/terminal-/, /\/assets\/highlight-/, /\/assets\/diff-lines-/];
/** Bytes of JavaScript and CSS the login and session list may fetch (uncompressed; about 23 KB gzipped today). */
const FIRST_PAINT_BUDGET = 90_000;

describe('browser: the first paint stays small (heavy parts load on demand)', function () {
  this.timeout(60_000);
  let fx: WebFixture;

  before(async () => {
    fx = await startWebFixture();
  });
  after(async () => {
    await fx?.stop();
  });

  it('when the login page and the session list load, then only the shell is fetched, within budget; the session view brings its chunk', async () => {
    const net = recordNetwork(fx.alice);
    const sizes = new Map<string, number>();
    fx.alice.page.on('response', (r) => {
      if (/\.(js|css)$/.test(new URL(r.url()).pathname)) void r.body().then((b) => sizes.set(r.url(), b.length), () => undefined);
    });
    await fx.alice.page.goto(`${fx.hub.url}/`);
    await fx.alice.page.getByLabel('Access token').waitFor();
    const paint = await fx.alice.page.evaluate<number>("performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? -1");
    expect(paint).to.be.greaterThan(0);
    await logIn(fx.alice, fx.hub.url, fx.token.alice);
    await fx.alice.page.getByRole('heading', { name: 'No sessions in alice yet' }).waitFor();
    const early = net.map((e) => e.url);
    expect(early.filter((u) => HEAVY.some((re) => re.test(u)))).to.deep.equal([]);
    await fx.alice.page.waitForLoadState('networkidle');
    const total = [...sizes.values()].reduce((a, b) => a + b, 0);
    expect(total, `first paint fetched ${total} bytes of JS/CSS`).to.be.below(FIRST_PAINT_BUDGET);
    // the session view's chunk comes when a session opens (even a missing one)
    await fx.alice.page.goto(`${fx.hub.url}/sessions/no-such-session`);
    await fx.alice.page.getByRole('alert').waitFor();
    fx.alice.allow(/404/);
    expect(net.some((e) => /\/assets\/session-/.test(e.url))).to.equal(true);
    expect(net.some((e) => /\/assets\/terminal-/.test(e.url))).to.equal(false);
    await expectTidy(fx.alice);
  });

  it('when the page is installed, then the manifest, its icons and the service worker are served', async () => {
    const manifest = (await (await fetch(`${fx.hub.url}/manifest.webmanifest`)).json()) as { icons: Array<{ src: string; type: string }> };
    expect(manifest).to.deep.include({ name: 'teamhub', display: 'standalone', start_url: '/' });
    for (const icon of manifest.icons) {
      const res = await fetch(`${fx.hub.url}${icon.src}`);
      expect(res.status, icon.src).to.equal(200);
      expect(res.headers.get('content-type')).to.equal(icon.type);
    }
    const sw = await fetch(`${fx.hub.url}/sw.js`);
    expect(sw.status).to.equal(200);
    expect(sw.headers.get('content-type')).to.match(/javascript/);
    expect(await sw.text()).to.include('notificationclick');
    // the page registers it (scope /) once it runs in a secure context (loopback counts)
    const { page } = fx.bob;
    await page.goto(`${fx.hub.url}/`);
    const scope = await page.evaluate<string>('navigator.serviceWorker.ready.then((r) => r.scope)');
    expect(scope).to.equal(`${fx.hub.url}/`);
    await expectTidy(fx.bob);
  });
});
