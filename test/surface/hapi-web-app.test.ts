import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchBrowser } from '../helpers/browser.js';
import { prepareHapiWebApp } from './hapi-web-app.js';
import { startSurfaceHub, type SurfaceHub } from './surface-hub.js';
import { WALK, bobListText, gitProject, recordFailures } from './web-app-walk.js';
import { World, type SessionFixture } from './world.js';

/*
 * HAPI 0.30.7's own web app, driven like a teammate would, against SURFACE_HUB (hapi: the HAPI
 * hub serving its own app; teamhub: teamhub's gateway serving the same files from
 * TEAMHUB_WEB_DIR, prepared from the npm binary). Each step must reach the CLI or runner
 * stand-in; bob's page must show nothing of alice's. Headless Debian Chromium.
 */

describe(`surface: HAPI's own web app against ${process.env.SURFACE_HUB ?? 'hapi'}`, function () {
  this.timeout(60_000);
  let webDir: string;
  let hub: SurfaceHub;
  let w: World;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let failures: string[];
  let session: SessionFixture;
  const sessionName = 'Web walk session';

  before(async function () {
    this.timeout(180_000);
    webDir = mkdtempSync(path.join(os.tmpdir(), 'surface-hapi-web-'));
    if ((process.env.SURFACE_HUB ?? 'hapi') === 'teamhub') await prepareHapiWebApp(webDir);
    hub = await startSurfaceHub(process.env, { teamhubEnv: { TEAMHUB_WEB_DIR: webDir } });
    w = await World.create(hub);
    session = await w.session('web-walk', { metadata: { name: sessionName } });
    gitProject(session);
    await w.session('bob-own', { who: 'bob', metadata: { name: 'bob-own-session' } });
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
    page = await context.newPage();
    failures = recordFailures(page);
  });
  after(async () => {
    await browser?.close();
    await w?.close();
    await hub?.stop();
    if (webDir) rmSync(webDir, { recursive: true, force: true });
  });

  for (const step of WALK) {
    it(step.name, async () => {
      try {
        await step.run({ page, w, session, sessionName });
      } catch (err) {
        (err as Error).message += `\nfailed requests so far: ${[...new Set(failures)].join(', ') || 'none'}`;
        throw err;
      }
    });
  }

  it('bob\'s page, in his own browser, lists his session and nothing of alice\'s', async () => {
    const bobContext = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
    try {
      const text = await bobListText(await bobContext.newPage(), w);
      expect(text).to.include('bob-own-session');
      expect(text).to.not.include(sessionName);
    } finally {
      await bobContext.close();
    }
  });
});
