import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { freePort, waitFor } from '../helpers/ports.js';
import { HAPI_BIN } from '../helpers/hapi-runner.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const WEB_DIST = path.join(ROOT, 'web', 'dist');
const API = /^\/(api|cli|socket\.io|health)(\/|$|\?)/;
const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.png': 'image/png', '.svg': 'image/svg+xml', '.webmanifest': 'application/manifest+json', '.json': 'application/json' };

/** The reference HAPI hub 0.30.7 with this repository's page in front of it, on one origin. */
export interface HapiPeer {
  url: string;
  baseToken: string;
  stop(): Promise<void>;
}

/**
 * Starts the real HAPI hub (the `@twsxtd/hapi` binary) on a free loopback port and a small
 * same-origin front: the built page (web/dist) for page paths, everything HAPI serves (`/api`,
 * `/cli`, `/socket.io`, `/health`, WebSocket upgrades included) passed through unchanged. The page's
 * browser tests then run against HAPI as they run against teamhub (`TEAMHUB_BROWSER_PEER=hapi`).
 */
export async function startHapiPeer(env: Record<string, string> = {}): Promise<HapiPeer> {
  if (!existsSync(HAPI_BIN)) throw new Error(`${HAPI_BIN} not found (npm ci installs @twsxtd/hapi)`);
  const [hubPort, frontPort] = [await freePort(), await freePort()];
  const home = mkdtempSync(path.join(os.tmpdir(), 'hapi-peer-'));
  const baseToken = `base${randomBytes(12).toString('hex')}`;
  const url = `http://127.0.0.1:${frontPort}`;
  const child: ChildProcess = spawn(HAPI_BIN, ['hub'], {
    env: { ...process.env, ...env, HAPI_HOME: home, CLI_API_TOKEN: baseToken, HAPI_LISTEN_HOST: '127.0.0.1', HAPI_LISTEN_PORT: String(hubPort), HAPI_PUBLIC_URL: url, CORS_ORIGINS: url },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));

  const front = http.createServer((req, res) => {
    const pathname = (req.url ?? '/').split('?')[0]!;
    if (API.test(req.url ?? '/')) {
      const up = http.request({ host: '127.0.0.1', port: hubPort, method: req.method, path: req.url, headers: { ...req.headers, host: `127.0.0.1:${hubPort}` } }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      up.on('error', () => res.writeHead(502).end());
      req.pipe(up);
      return;
    }
    const file = path.join(WEB_DIST, path.normalize(pathname).replace(/^(\.\.[/\\])+/, ''));
    const target = file.startsWith(WEB_DIST) && existsSync(file) && statSync(file).isFile() ? file : path.join(WEB_DIST, 'index.html');
    res.writeHead(200, { 'content-type': TYPES[path.extname(target)] ?? 'application/octet-stream', 'cache-control': 'no-cache' });
    res.end(readFileSync(target));
  });
  // WebSocket upgrades (the CLI's and the terminal's Socket.IO) go to HAPI as raw TCP.
  front.on('upgrade', (req, socket, head) => {
    const up = net.connect(hubPort, '127.0.0.1', () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`, ...Object.entries(req.headers).map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(', ') : v}`)];
      up.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length) up.write(head);
      up.pipe(socket);
      socket.pipe(up);
    });
    up.on('error', () => socket.destroy());
    socket.on('error', () => up.destroy());
  });
  await new Promise<void>((resolve) => front.listen(frontPort, '127.0.0.1', resolve));
  const stop = async () => {
    await new Promise<void>((resolve) => front.close(() => resolve()));
    front.closeAllConnections?.();
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    rmSync(home, { recursive: true, force: true });
  };
  try {
    await waitFor(async () => (await fetch(`http://127.0.0.1:${hubPort}/health`).catch(() => null))?.ok, { timeoutMs: 30_000, what: `HAPI hub health (${output.slice(-500)})` });
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, baseToken, stop };
}
