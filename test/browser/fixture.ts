import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import { startHub, type Hub } from '../helpers/hub-harness.js';
import { launchBrowser, openTab, pageProblems, type Tab } from '../helpers/browser.js';
import { startHapiPeer } from './hapi-peer.js';

/** A whole hub serving the built page, one Chromium, and two people's tabs (alice and bob). */
export interface WebFixture {
  hub: Hub;
  browser: Browser;
  alice: Tab;
  bob: Tab;
  token: { alice: string; bob: string };
  stop(): Promise<void>;
}

/**
 * With `TEAMHUB_BROWSER_PEER=hapi` the same tests run against the reference HAPI hub with this
 * page in front (test/browser/hapi-peer.ts), which shows the page speaks HAPI's contract; only the
 * tests that use nothing teamhub-specific (`url`, `baseToken`) can run that way.
 */
async function startPeerOrHub(env: Record<string, string>, gateways: 1 | 2): Promise<Hub> {
  if (process.env.TEAMHUB_BROWSER_PEER !== 'hapi') return startHub({ gateways, env });
  const peer = await startHapiPeer(env);
  const fail = (): never => {
    throw new Error('not available with TEAMHUB_BROWSER_PEER=hapi');
  };
  return { urls: [peer.url], url: peer.url, baseToken: peer.baseToken, adminToken: '', internalSecret: '', natsUrl: '', addrs: { auth: '', session: '', machine: '', notify: '' }, stopService: fail, startService: fail, killGateway: fail, stopNats: fail, startNats: fail, stopMongo: fail, startMongo: fail, pid: () => undefined, output: () => '', stop: peer.stop };
}

export async function startWebFixture(env: Record<string, string> = {}, gateways: 1 | 2 = 1): Promise<WebFixture> {
  const hub = await startPeerOrHub(env, gateways);
  let browser: Browser | undefined;
  try {
    browser = await launchBrowser();
    const alice = await openTab(browser, 'alice');
    const bob = await openTab(browser, 'bob');
    const b = browser;
    return {
      hub,
      browser,
      alice,
      bob,
      token: { alice: `${hub.baseToken}:alice`, bob: `${hub.baseToken}:bob` },
      stop: async () => {
        await b.close().catch(() => undefined);
        await hub.stop();
      },
    };
  } catch (err) {
    await browser?.close().catch(() => undefined);
    await hub.stop();
    throw err;
  }
}

/** Follows the web JWTs a tab receives (`POST /api/auth`, at login and at every re-exchange). */
export function trackJwt(tab: Tab): () => string | undefined {
  let last: string | undefined;
  tab.page.on('response', (r) => {
    if (!r.url().endsWith('/api/auth') || r.status() !== 200) return;
    r.json().then(
      (b: { token?: string }) => (last = b.token ?? last),
      () => undefined,
    );
  });
  return () => last;
}

/** Logs in through the login form like a person; returns the web JWT the page received. */
export async function logIn(tab: Tab, url: string, accessToken: string): Promise<string> {
  const { page } = tab;
  if (!page.url().startsWith(url)) await page.goto(`${url}/`);
  await page.getByLabel('Access token').fill(accessToken);
  const [res] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/api/auth') && r.request().method() === 'POST'),
    page.getByRole('button', { name: 'Log in' }).click(),
  ]);
  expect(res.status(), await res.text()).to.equal(200);
  const { token } = (await res.json()) as { token: string };
  await page.getByTestId('namespace').waitFor();
  return token;
}

/** Fails on what a person would notice: horizontal overflow, serious axe violations, console errors. */
export async function expectTidy(...tabs: Tab[]): Promise<void> {
  const problems: string[] = [];
  for (const tab of tabs) problems.push(...(await pageProblems(tab)));
  expect(problems, problems.join('\n')).to.deep.equal([]);
}
