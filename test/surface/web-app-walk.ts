import type { Page } from 'playwright-core';
import { waitFor } from '../helpers/ports.js';
import type { SessionFixture, World } from './world.js';

/*
 * A teammate's walk through HAPI 0.30.7's own web app (the bundle the hapi binary serves), the
 * steps the issue's acceptance names: log in, open a session, send, approve, review a diff,
 * switch the model, start a new session on a machine. Each step is judged by what reaches the
 * CLI or runner stand-in, not by the page's look. The selectors are the app's own labels.
 */

/** A porcelain v2 status with one modified file, so the Files view lists README.md. */
const GIT_STATUS = '# branch.oid 1111111111111111111111111111111111111111\n# branch.head main\n1 .M N... 100644 100644 100644 1111111111111111111111111111111111111111 1111111111111111111111111111111111111111 README.md\n';

export interface WalkContext {
  page: Page;
  w: World;
  /** The session the walk works in (name shown in the list). */
  session: SessionFixture;
  sessionName: string;
}

export interface WalkStep {
  name: string;
  run: (c: WalkContext) => Promise<void>;
}

/** The answers a CLI of a git project gives, so the Files view has a change to show. */
export function gitProject(session: SessionFixture): void {
  session.standIn!.onRpc('git-status', () => ({ success: true, stdout: GIT_STATUS, stderr: '', exitCode: 0 }));
  session.standIn!.onRpc('git-diff-numstat', () => ({ success: true, stdout: '1\t0\tREADME.md\n', stderr: '', exitCode: 0 }));
}

export const WALK: WalkStep[] = [
  {
    name: 'log in with the access token and see the session in the list',
    run: async ({ page, w, sessionName }) => {
      await page.goto(`${w.hub.url}/`, { waitUntil: 'load' });
      await page.locator('input[type=password]').fill(w.cliToken('alice'));
      await page.getByRole('button', { name: 'Sign In' }).click();
      await page.getByText(sessionName).first().waitFor({ timeout: 15_000 });
    },
  },
  {
    name: 'open the session',
    run: async ({ page, sessionName }) => {
      await page.getByText(sessionName).first().click();
      await page.getByRole('button', { name: 'Send', exact: true }).waitFor({ timeout: 15_000 });
      await page.getByRole('button', { name: 'Got it' }).click({ timeout: 3000 }).catch(() => undefined);
    },
  },
  {
    name: 'send a message: the CLI receives it',
    run: async ({ page, session }) => {
      await page.getByRole('textbox').last().click();
      await page.keyboard.type('run the tests please');
      await page.keyboard.press('Enter');
      await session.standIn!.waitUpdate('new-message', (u) => JSON.stringify(u.body).includes('run the tests please'), 15_000);
    },
  },
  {
    name: 'approve a permission request: the CLI receives the approval',
    run: async ({ page, w, session }) => {
      const requestId = await w.permissionRequest(session);
      await page.getByRole('button', { name: 'Allow', exact: true }).click({ timeout: 15_000 });
      await session.standIn!.waitRpc('permission', (r) => (r.params as { id?: string }).id === requestId, 15_000);
    },
  },
  {
    name: 'review a diff: Files lists the change and opening it asks the CLI for the file\'s diff',
    run: async ({ page, session }) => {
      await page.getByRole('button', { name: 'Files', exact: true }).last().click({ timeout: 15_000 });
      await page.getByText('README.md').first().click({ timeout: 15_000 });
      await session.standIn!.waitRpc('git-diff-file', (r) => (r.params as { filePath?: string }).filePath === 'README.md', 15_000);
    },
  },
  {
    name: 'switch the model: the CLI is asked to apply it',
    run: async ({ page, w, session }) => {
      await page.goto(`${w.hub.url}/sessions/${session.id}`, { waitUntil: 'load' });
      await page.getByRole('button', { name: 'Send', exact: true }).waitFor({ timeout: 15_000 });
      await page.getByRole('button', { name: 'Settings', exact: true }).last().click({ timeout: 15_000 });
      await page.getByText(/^Opus$/).first().click({ timeout: 15_000 });
      await session.standIn!.waitRpc('set-session-config', (r) => (r.params as { model?: string }).model === 'opus', 15_000);
    },
  },
  {
    name: 'start a new session on the machine: the runner is asked to spawn it',
    run: async ({ page, w }) => {
      const machine = await w.machine();
      await page.goto(`${w.hub.url}/`, { waitUntil: 'load' });
      await page.getByRole('button', { name: 'New Session', exact: true }).click({ timeout: 15_000 });
      await page.getByPlaceholder('/path/to/project').fill('/srv/surface/project');
      await page.getByRole('button', { name: 'Create', exact: true }).click({ timeout: 15_000 });
      await machine.standIn.waitRpc('spawn-happy-session', (r) => (r.params as { directory?: string }).directory === '/srv/surface/project', 15_000);
    },
  },
];

/** Requests the page made that failed (status ≥ 400), as `METHOD /path -> status`, ids replaced by `:id`. */
export function recordFailures(page: Page): string[] {
  const failures: string[] = [];
  page.on('response', (r) => {
    if (r.status() < 400) return;
    const u = new URL(r.url());
    failures.push(`${r.request().method()} ${u.pathname.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, ':id').replace(/surface-alice-[0-9a-f-]+/g, ':machineId')} -> ${r.status()}`);
  });
  return failures;
}

/** Waits until bob's list has rendered, then returns its text (for the "nothing of alice's" check). */
export async function bobListText(page: Page, w: World): Promise<string> {
  await page.goto(`${w.hub.url}/`, { waitUntil: 'load' });
  await page.locator('input[type=password]').fill(w.cliToken('bob'));
  await page.getByRole('button', { name: 'Sign In' }).click();
  await page.getByRole('button', { name: 'New Session', exact: true }).waitFor({ timeout: 15_000 });
  await waitFor(async () => (await page.locator('body').innerText()).includes('bob-own-session'), { what: 'bob\'s own session listed', timeoutMs: 15_000 });
  return page.locator('body').innerText();
}
