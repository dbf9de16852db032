// Helpers for the `teamhub` CLI end-to-end tests: run the real command in a HAPI_HOME, clean up runners.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { http } from '../helpers/hub-harness.js';

export const SHIM = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'cli', 'bin', 'teamhub.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `teamhub <args>` with HAPI_HOME=home (no CLI_API_TOKEN unless given) and waits for it to exit. */
export function teamhub(args: string[], opts: { home: string; url: string; env?: Record<string, string>; cwd?: string }): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, HAPI_HOME: opts.home, HAPI_API_URL: opts.url };
  delete env.CLI_API_TOKEN;
  delete env.TEAMHUB_ADMIN_TOKEN;
  Object.assign(env, opts.env);
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [SHIM, ...args], { env, cwd: opts.cwd ?? os.tmpdir(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    p.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export function tempDir(prefix: string): string {
  return fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
}

export function machineIdOf(home: string): string | undefined {
  try {
    return (JSON.parse(fs.readFileSync(path.join(home, 'settings.json'), 'utf8')) as { machineId?: string }).machineId;
  } catch {
    return undefined;
  }
}

/** Stops the runner of `home` (if any): `teamhub runner stop`, then SIGKILL as a last resort. */
export async function stopRunner(home: string, url: string): Promise<void> {
  await teamhub(['runner', 'stop'], { home, url }).catch(() => undefined);
  try {
    const pid = Number.parseInt(fs.readFileSync(path.join(home, 'runner.lock'), 'utf8'), 10);
    if (pid > 0) process.kill(pid, 'SIGKILL');
  } catch {
    /* gone */
  }
}

export { webToken } from '../helpers/hub-harness.js';

/** The ids in `GET /api/<kind>` for a web JWT. */
export async function listIds(url: string, jwt: string, kind: 'machines' | 'sessions'): Promise<string[]> {
  const res = await http(url, 'GET', `/api/${kind}`, { token: jwt });
  if (res.status !== 200) throw new Error(`GET /api/${kind}: ${res.status} ${res.text}`);
  return (res.json[kind] as { id: string }[]).map((x) => x.id);
}

/** A tiny agent: echoes stdin lines, asks for a permission on `perm`, exits on `exit`. */
export const AGENT_SCRIPT = `
import readline from 'node:readline';
console.log('agent ready in ' + process.cwd());
const rl = readline.createInterface({ input: process.stdin });
rl.on('line', (line) => {
  if (line === 'perm') return console.log('::permission Bash {"command":"ls"}');
  if (line.startsWith('::permission-result')) return console.log('got ' + line);
  if (line === 'exit') { console.log('bye'); process.exit(0); }
  console.log('echo: ' + line);
});
`;

/** A loopback TCP proxy to `targetPort` whose connections can be cut and later allowed again. */
export async function startCuttableProxy(targetPort: string) {
  const net = await import('node:net');
  const sockets = new Set<import('node:net').Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(targetPort), '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as import('node:net').AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    /** Stops accepting and destroys every open connection. */
    cut() {
      server.close();
      for (const s of sockets) s.destroy();
    },
    resume: () => new Promise<void>((r) => server.listen(port, '127.0.0.1', r)),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
