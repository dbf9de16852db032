import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SCREENSHOT_DIR = path.join(ROOT, 'test-artifacts', 'screenshots');
/** Debian's chromium package (scripts/setup.sh --test installs it). */
export const CHROMIUM = process.env.TEAMHUB_CHROMIUM ?? '/usr/bin/chromium';
const AXE_PATH = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

export const VIEWPORT = { width: 375, height: 667 };

/** Headless Debian Chromium with no network chatter of its own. */
export async function launchBrowser(extraArgs: string[] = []): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: install Debian's chromium package (make test does it)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', ...extraArgs],
  });
}

/** A person's browser tab: its own context (storage), a phone-sized viewport, every console error kept. */
export interface Tab {
  name: string;
  context: BrowserContext;
  page: Page;
  /** Console errors and uncaught page errors seen so far, as text. */
  errors: string[];
  /** Lets console errors matching `re` pass (e.g. the 401 a revoked token must produce). */
  allow(re: RegExp): void;
  /** Errors not allowed, then clears the list. */
  takeErrors(): string[];
  close(): Promise<void>;
}

export async function openTab(browser: Browser, name: string): Promise<Tab> {
  // bypassCSP lets the test inject axe-core into a page whose CSP allows only its own scripts.
  const context = await browser.newContext({ viewport: VIEWPORT, bypassCSP: true, locale: 'en-US' });
  const page = await context.newPage();
  const errors: string[] = [];
  const allowed: RegExp[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console: ${msg.text()} (${msg.location().url})`);
  });
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  return {
    name,
    context,
    page,
    errors,
    allow: (re) => void allowed.push(re),
    takeErrors: () => {
      if (process.env.TEAMHUB_BROWSER_DEBUG) for (const e of errors) console.log(`  [${name}] ${e}`);
      const bad = errors.filter((e) => !allowed.some((re) => re.test(e)));
      errors.length = 0;
      return bad;
    },
    close: () => context.close(),
  };
}

/** Horizontal overflow at the tab's width (the page must fit a 375 px phone). */
export async function horizontalOverflow(page: Page): Promise<{ scrollWidth: number; innerWidth: number } | null> {
  // (page.evaluate with strings: the repo's tsconfig has no DOM types)
  const r = await page.evaluate<{ scrollWidth: number; innerWidth: number }>('({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth })');
  return r.scrollWidth > r.innerWidth ? r : null;
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

/** axe-core's serious and critical violations on the current page. */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  const has = await page.evaluate<boolean>("typeof window.axe !== 'undefined'");
  if (!has) await page.addScriptTag({ path: AXE_PATH });
  const result = await page.evaluate<AxeViolation[]>(`(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => String(n.target)) }));
  })()`);
  return result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** Saves a full-page screenshot to test-artifacts/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Problems a person would notice right now: overflow, serious/critical axe violations, console errors. */
export async function pageProblems(tab: Tab): Promise<string[]> {
  const out: string[] = [];
  const overflow = await horizontalOverflow(tab.page);
  if (overflow) out.push(`${tab.name}: horizontal overflow ${overflow.scrollWidth} > ${overflow.innerWidth} at ${tab.page.url()}`);
  for (const v of await axeViolations(tab.page)) out.push(`${tab.name}: axe ${v.impact} ${v.id} (${v.help}) at ${v.targets.slice(0, 3).join(', ')}`);
  for (const e of tab.takeErrors()) out.push(`${tab.name}: ${e}`);
  return out;
}

export interface NetworkEntry {
  url: string;
  method: string;
  status: number;
  /** The response body for JSON answers (read as text), '' otherwise. */
  body: string;
}

/**
 * Everything a tab fetched from here on: request URLs with method and status, and the bodies of
 * JSON answers. Event streams stay open, so their bodies are not read; their URLs are kept.
 */
export function recordNetwork(tab: Tab): NetworkEntry[] {
  const log: NetworkEntry[] = [];
  tab.page.on('response', (r) => {
    const entry: NetworkEntry = { url: r.url(), method: r.request().method(), status: r.status(), body: '' };
    log.push(entry);
    if (!(r.headers()['content-type'] ?? '').includes('application/json')) return;
    r.text().then(
      (t) => (entry.body = t),
      () => undefined,
    );
  });
  tab.page.on('websocket', (ws) => {
    log.push({ url: ws.url(), method: 'WS', status: 101, body: '' });
    ws.on('framereceived', (f) => log.push({ url: ws.url(), method: 'WS-IN', status: 0, body: typeof f.payload === 'string' ? f.payload : f.payload.toString('utf8') }));
  });
  return log;
}

/** Entries whose URL or body mentions any of `needles` (another namespace's ids or texts). */
export function mentions(log: NetworkEntry[], needles: string[]): NetworkEntry[] {
  return log.filter((e) => needles.some((n) => e.url.includes(n) || e.body.includes(n)));
}
