import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { freePort } from '../helpers/ports.js';
import { startHub } from '../helpers/hub-harness.js';
import { hapiBinary } from './hapi-source.js';

/** Which hub the surface test talks to. */
export type HubKind = 'hapi' | 'teamhub';

export interface SurfaceHub {
  kind: HubKind;
  url: string;
  /** The hub's base token: `<base>` is the default namespace (HAPI's hub owner), `<base>:alice` a teammate. */
  baseToken: string;
  /** teamhub's admin token (hub-wide data); HAPI has none (its owner is the default namespace). */
  adminToken?: string;
  /** The hub's own output so far, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

/**
 * The hub under test, from one parameter: `SURFACE_HUB=hapi` (default: the real HAPI 0.30.7 hub
 * from npm) or `SURFACE_HUB=teamhub` (the whole teamhub stack from test/helpers/hub-harness.ts),
 * each started here on a free loopback port. With `SURFACE_HUB_URL` and `SURFACE_HUB_TOKEN` set
 * the test uses that running hub instead (SURFACE_HUB still names which expectations apply).
 * `hubEnv` is extra environment for either hub started here (e.g. NODE_EXTRA_CA_CERTS),
 * `teamhubEnv` for a teamhub only (e.g. TEAMHUB_WEB_DIR).
 */
export async function startSurfaceHub(env: NodeJS.ProcessEnv = process.env, opts: { teamhubEnv?: Record<string, string>; hubEnv?: Record<string, string> } = {}): Promise<SurfaceHub> {
  const kind = (env.SURFACE_HUB ?? 'hapi') as HubKind;
  if (kind !== 'hapi' && kind !== 'teamhub') throw new Error(`SURFACE_HUB must be hapi or teamhub, not ${kind}`);
  if (env.SURFACE_HUB_URL) {
    if (!env.SURFACE_HUB_TOKEN) throw new Error('SURFACE_HUB_URL needs SURFACE_HUB_TOKEN (the base token)');
    return { kind, url: env.SURFACE_HUB_URL.replace(/\/$/, ''), baseToken: env.SURFACE_HUB_TOKEN, adminToken: env.SURFACE_HUB_ADMIN_TOKEN, output: () => '', stop: async () => undefined };
  }
  if (kind === 'teamhub') {
    const hub = await startHub({ env: { ...opts.hubEnv, ...opts.teamhubEnv } });
    return { kind, url: hub.url, baseToken: hub.baseToken, adminToken: hub.adminToken, output: () => hub.output('gateway0'), stop: () => hub.stop() };
  }
  return startReferenceHapi(opts.hubEnv);
}

/**
 * The real HAPI hub with nothing configured, contained in a temp dir: its own HOME, HAPI_HOME and
 * working directory, Android and iOS push off (their default is a relay on the internet), no
 * provider keys, no Telegram. Everything it serves is on loopback.
 */
export async function startReferenceHapi(extraEnv: Record<string, string> = {}): Promise<SurfaceHub> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'surface-hapi-'));
  const home = path.join(root, 'home');
  const work = path.join(root, 'work');
  mkdirSync(home);
  mkdirSync(work);
  const port = await freePort();
  const baseToken = `surface${randomBytes(18).toString('hex')}`;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    HAPI_HOME: path.join(home, '.hapi'),
    CLI_API_TOKEN: baseToken,
    HAPI_LISTEN_HOST: '127.0.0.1',
    HAPI_LISTEN_PORT: String(port),
    HAPI_ANDROID_PUSH: 'off',
    HAPI_IOS_PUSH: 'off',
    HAPI_CODEX_WORKSPACE: work,
    HAPI_CODEX_SCRIPT_ROOT: work,
    VAPID_SUBJECT: 'mailto:surface@localhost',
    ...extraEnv,
  };
  const proc = spawn(hapiBinary(), ['hub'], { cwd: work, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (b: Buffer) => (out += b.toString('utf8')));
  proc.stderr.on('data', (b: Buffer) => (out += b.toString('utf8')));
  const url = `http://127.0.0.1:${port}`;
  const stop = () =>
    new Promise<void>((resolve) => {
      const done = () => {
        rmSync(root, { recursive: true, force: true });
        resolve();
      };
      if (proc.exitCode !== null || proc.signalCode !== null) return done();
      const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
      proc.once('exit', () => {
        clearTimeout(timer);
        done();
      });
      proc.kill('SIGTERM');
    });
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`the HAPI hub exited with ${proc.exitCode}:\n${out}`);
    const healthy = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) }).then((r) => r.ok, () => false);
    if (healthy) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the HAPI hub was not healthy within 30 s:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { kind: 'hapi', url, baseToken, output: () => out, stop };
}
