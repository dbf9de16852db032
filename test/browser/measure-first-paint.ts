// Measures the page on this machine: first contentful paint of the login page, time until the
// session list shows after login, and until a 15-message conversation (every content type) is
// rendered, each on a cold browser context (no cache), median of N runs.
// Usage: node --import tsx test/browser/measure-first-paint.ts [--runs 5]
import { startWebFixture } from './fixture.js';
import { logIn } from './fixture.js';
import { openTab } from '../helpers/browser.js';
import { startStandInSession } from './cli-session.js';
import { CONVERSATION } from '../unit/web/hapi-messages.js';
import { http, waitFor } from '../helpers/hub-harness.js';
import { pathToFileURL } from 'node:url';

// Only when run as a script: mocha loading every file of this folder must not start a measurement.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await measure();

async function measure(): Promise<void> {
  const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 5;
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

  const fx = await startWebFixture();
  try {
    const s = await startStandInSession(fx.hub.url, fx.token.alice, { path: '/srv/alice/app' });
    for (const m of CONVERSATION) s.post(m);
    await waitFor(async () => (await http(fx.hub.url, 'GET', `/cli/sessions/${s.id}/messages?afterSeq=0&limit=200`, { token: fx.token.alice })).json?.messages?.length === CONVERSATION.length, { timeoutMs: 10_000 });
    const fcp: number[] = [];
    const list: number[] = [];
    const chat: number[] = [];
    for (let i = 0; i < runs; i++) {
      const tab = await openTab(fx.browser, `run${i}`);
      const t0 = Date.now();
      await tab.page.goto(`${fx.hub.url}/`);
      await tab.page.getByLabel('Access token').waitFor();
      fcp.push(await tab.page.evaluate<number>("performance.getEntriesByName('first-contentful-paint')[0].startTime"));
      await logIn(tab, fx.hub.url, fx.token.alice);
      await tab.page.locator(`[data-session-id="${s.id}"]`).waitFor();
      list.push(Date.now() - t0);
      const t1 = Date.now();
      await tab.page.locator(`[data-session-id="${s.id}"] a`).click();
      await tab.page.getByTestId('messages').getByText('Switched to remote control').waitFor();
      await tab.page.locator('pre.code .hljs-keyword').first().waitFor();
      chat.push(Date.now() - t1);
      await tab.close();
    }
    s.stop();
    console.log(`runs: ${runs}`);
    console.log(`login page first contentful paint: median ${Math.round(median(fcp))} ms (all: ${fcp.map(Math.round).join(', ')})`);
    console.log(`open page to session list after login: median ${median(list)} ms`);
    console.log(`open a session to conversation rendered and highlighted: median ${median(chat)} ms`);
  } finally {
    await fx.stop();
  }
}
