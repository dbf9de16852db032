import { expect } from 'chai';
import { signInitData } from '../../lib/auth/telegram-init-data.js';
import { startTelegramStub, type TelegramStub } from '../helpers/telegram-stub.js';
import { openTab, screenshot } from '../helpers/browser.js';
import { expectTidy, startWebFixture, type WebFixture } from './fixture.js';

/** The page opened as a Telegram Mini App: Telegram passes signed initData in the URL hash. */
describe('browser: the page as a Telegram Mini App', function () {
  this.timeout(90_000);
  let stub: TelegramStub;
  let fx: WebFixture;
  const initData = (userId: number) => signInitData(stub.token, { auth_date: String(Math.floor(Date.now() / 1000)), user: JSON.stringify({ id: userId, first_name: 'Alice' }) });
  const miniAppUrl = (userId: number) => `${fx.hub.url}/#tgWebAppData=${encodeURIComponent(initData(userId))}&tgWebAppVersion=8.0&tgWebAppPlatform=web`;

  before(async () => {
    stub = await startTelegramStub();
    fx = await startWebFixture({ TELEGRAM_BOT_TOKEN: stub.token, TELEGRAM_API_BASE_URL: stub.url, TELEGRAM_POLL_TIMEOUT_SEC: '1' });
  });
  after(async () => {
    await fx?.stop();
    await stub?.stop();
  });

  it('when an unbound Telegram account opens the page, then it asks for the access token once, binds, and shows the namespace', async () => {
    const { page } = fx.alice;
    fx.alice.allow(/status of 401/); // `not_bound` is how the hub says "ask for the token"
    await page.goto(miniAppUrl(7001));
    await page.getByRole('heading', { name: 'Connect Telegram' }).waitFor();
    await expectTidy(fx.alice);
    await screenshot(page, 'telegram-bind');
    await page.getByLabel('Access token').fill(fx.token.alice);
    await page.getByRole('button', { name: 'Link and log in' }).click();
    expect(await page.getByTestId('namespace').textContent()).to.equal('alice');
  });

  it('when the bound account opens the page again, then it is logged in straight away without a token', async () => {
    const again = await openTab(fx.browser, 'alice-again');
    try {
      await again.page.goto(miniAppUrl(7001));
      await again.page.getByTestId('namespace').waitFor();
      expect(await again.page.getByTestId('namespace').textContent()).to.equal('alice');
      await expectTidy(again);
    } finally {
      await again.close();
    }
  });

  it('when the token given to bind is wrong, then the bind view says so and stays', async () => {
    const { page } = fx.bob;
    fx.bob.allow(/status of 401/);
    await page.goto(miniAppUrl(7002));
    await page.getByLabel('Access token').fill('wrong-token:bob');
    await page.getByRole('button', { name: 'Link and log in' }).click();
    await page.getByRole('alert').getByText('The hub did not accept that access token').waitFor();
    await expectTidy(fx.bob);
  });
});
