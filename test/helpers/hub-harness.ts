import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { freePort } from './ports.js';
import { startProcess, type Started } from './processes.js';
import { nodeEntry } from './node-entry.js';
export { waitFor } from './ports.js';
import { startNats, type NatsServer } from './nats-server.js';
import { startMongo, type MongoServer } from './mongo-server.js';

export type ServiceName = 'auth' | 'session' | 'machine' | 'notify';

export interface HubOptions {
  /** How many gateway replicas (default 1). */
  gateways?: 1 | 2;
  /** Store kind (default sqlite in a temp dir). */
  store?: 'sqlite' | 'mongo';
  /** How many auth service replicas (default 1); the extra one is `auth1` (same store and NATS). */
  authReplicas?: 1 | 2;
  /** How many session service replicas (default 1); the extra one is `session1` (same store and NATS; the gateways dial `session`). */
  sessionReplicas?: 1 | 2;
  /** How many notify service replicas (default 1); the extra one is `notify1` (same store and NATS). */
  notifyReplicas?: 1 | 2;
  /** Extra environment for every process (e.g. TEAMHUB_NAMESPACE_MODE, shortened timeouts). */
  env?: Record<string, string>;
  /** NATS servers the test runs itself (a cluster); by default the hub starts one nats-server. */
  natsServers?: string[];
}

export interface Hub {
  /** Base URL of each gateway replica. */
  urls: string[];
  /** Base URL of the first gateway. */
  url: string;
  baseToken: string;
  adminToken: string;
  internalSecret: string;
  natsUrl: string;
  /** gRPC address (host:port) of each service. */
  addrs: Record<ServiceName, string>;
  /** Stops a service (SIGTERM by default; SIGKILL to simulate a crash). */
  stopService(name: ServiceName | 'session1', signal?: NodeJS.Signals): Promise<void>;
  startService(name: ServiceName | 'session1'): Promise<void>;
  killGateway(i: number, signal?: NodeJS.Signals): Promise<void>;
  /** Stops the hub's own nats-server (SIGKILL by default); `startNats` brings it back on the same port and store. */
  stopNats(signal?: NodeJS.Signals): Promise<void>;
  startNats(): Promise<void>;
  /** Stops the hub's MongoDB-wire server (`store: 'mongo'`; SIGKILL by default); `startMongo` starts one again on its port. */
  stopMongo(signal?: NodeJS.Signals): Promise<void>;
  startMongo(): Promise<void>;
  /** The PID of a running process of the hub (e.g. to read a gateway's memory). */
  pid(name: ServiceName | `gateway${number}`): number | undefined;
  /** Output of a process, for diagnostics. */
  output(name: ServiceName | 'auth1' | 'session1' | 'notify1' | `gateway${number}`): string;
  stop(): Promise<void>;
}

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SERVICES: ServiceName[] = ['auth', 'session', 'machine', 'notify'];

/**
 * Starts a whole hub from REAL processes on free loopback ports: NATS (and jongodb for
 * `store:'mongo'`), then the auth, session, machine and notify services and the gateways in parallel.
 * Secrets are fixed strong values passed by env. The failed-login limit is raised to 1000
 * unless `env.TEAMHUB_AUTH_FAIL_LIMIT` says otherwise.
 */
export async function startHub(opts: HubOptions = {}): Promise<Hub> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'teamhub-hub-'));
  const baseToken = `base${randomBytes(18).toString('base64url')}`.replace(/[-_]/g, 'x');
  const adminToken = `admin${randomBytes(18).toString('hex')}`;
  const internalSecret = `internal${randomBytes(18).toString('hex')}`;
  let nats: NatsServer | null = opts.natsServers ? null : await startNats();
  const natsUrl = opts.natsServers ? opts.natsServers.join(',') : nats!.url;
  let mongo: MongoServer | null = null;
  const procs = new Map<string, Started>();
  const stopAll = async () => {
    await Promise.all([...procs.values()].map((p) => p.stop().catch(() => undefined)));
    procs.clear();
    if (mongo) await mongo.stop().catch(() => undefined);
    await nats?.stop().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const storeEnv: Record<string, string> = { TEAMHUB_STORE: 'sqlite', TEAMHUB_DATA_DIR: dataDir };
    if (opts.store === 'mongo') {
      mongo = await startMongo();
      Object.assign(storeEnv, { TEAMHUB_STORE: 'mongo', TEAMHUB_MONGO_URL: mongo.url, TEAMHUB_MONGO_DB: mongo.freshDbName() });
    }
    const addrs = {} as Record<ServiceName, string>;
    for (const s of SERVICES) addrs[s] = `127.0.0.1:${await freePort()}`;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      TEAMHUB_LOG_LEVEL: 'warn',
      TEAMHUB_AUTH_FAIL_LIMIT: '1000',
      ...storeEnv,
      ...opts.env,
      TEAMHUB_NATS_URL: natsUrl,
      TEAMHUB_INTERNAL_SECRET: internalSecret,
      CLI_API_TOKEN: baseToken,
      TEAMHUB_ADMIN_TOKEN: adminToken,
      TEAMHUB_SETTINGS_FILE: path.join(dataDir, 'settings.json'),
      TEAMHUB_AUTH_LISTEN: addrs.auth,
      TEAMHUB_SESSION_LISTEN: addrs.session,
      TEAMHUB_MACHINE_LISTEN: addrs.machine,
      TEAMHUB_NOTIFY_LISTEN: addrs.notify,
      TEAMHUB_AUTH_ADDR: addrs.auth,
      TEAMHUB_SESSION_ADDR: addrs.session,
      TEAMHUB_MACHINE_ADDR: addrs.machine,
      TEAMHUB_NOTIFY_ADDR: addrs.notify,
    };
    const session1Listen = `127.0.0.1:${await freePort()}`;
    const startService = async (name: ServiceName | 'session1') => {
      const svc = name === 'session1' ? 'session' : name;
      const p = await startProcess('node', nodeEntry(`services/${svc}/main`), {
        cwd: ROOT,
        env: name === 'session1' ? { ...env, TEAMHUB_SESSION_LISTEN: session1Listen } : env,
        ready: new RegExp(`TEAMHUB_READY ${svc} port=`),
        name,
        timeoutMs: 30_000,
      });
      procs.set(name, p);
    };
    // A second auth replica starts once the first has created the shared secrets.
    const startServices = async () => {
      await Promise.all([...SERVICES, ...((opts.sessionReplicas ?? 1) > 1 ? (['session1'] as const) : [])].map(startService));
      if ((opts.authReplicas ?? 1) > 1) {
        const auth1 = await startProcess('node', nodeEntry('services/auth/main'), {
          cwd: ROOT,
          env: { ...env, TEAMHUB_AUTH_LISTEN: `127.0.0.1:${await freePort()}` },
          ready: /TEAMHUB_READY auth port=/,
          name: 'auth1',
          timeoutMs: 30_000,
        });
        procs.set('auth1', auth1);
      }
      // More notify replicas (Telegram and Web Push notify once across them).
      if ((opts.notifyReplicas ?? 1) > 1) {
        const notify1 = await startProcess('node', nodeEntry('services/notify/main'), {
          cwd: ROOT,
          env: { ...env, TEAMHUB_NOTIFY_LISTEN: `127.0.0.1:${await freePort()}` },
          ready: /TEAMHUB_READY notify port=/,
          name: 'notify1',
          timeoutMs: 30_000,
        });
        procs.set('notify1', notify1);
      }
    };
    const urls: string[] = [];
    const gatewayCount = opts.gateways ?? 1;
    // Gateways need no service to start (the JWT key is fetched lazily), so all start together.
    const [gateways] = await Promise.all([
      Promise.all(
        Array.from({ length: gatewayCount }, async (_, i) => {
          const port = await freePort();
          const p = await startProcess('node', nodeEntry('gateway/main'), {
            cwd: ROOT,
            env: { ...env, HAPI_LISTEN_HOST: '127.0.0.1', HAPI_LISTEN_PORT: String(port), HAPI_PUBLIC_URL: `http://127.0.0.1:${port}` },
            ready: /TEAMHUB_READY gateway port=/,
            name: `gateway${i}`,
            timeoutMs: 30_000,
          });
          procs.set(`gateway${i}`, p);
          return `http://127.0.0.1:${port}`;
        }),
      ),
      startServices(),
    ]);
    urls.push(...gateways);
    return {
      urls,
      url: urls[0]!,
      baseToken,
      adminToken,
      internalSecret,
      natsUrl,
      addrs,
      stopService: async (name, signal) => {
        await procs.get(name)?.stop(signal);
        procs.delete(name);
      },
      startService,
      killGateway: async (i, signal = 'SIGKILL') => {
        await procs.get(`gateway${i}`)?.stop(signal);
        procs.delete(`gateway${i}`);
      },
      stopNats: async (signal = 'SIGKILL') => {
        await nats?.stop(signal);
      },
      startNats: async () => {
        if (!nats) throw new Error('the hub runs no nats-server of its own');
        nats = await startNats({ port: nats.port, storeDir: nats.storeDir });
      },
      stopMongo: async (signal = 'SIGKILL') => {
        await mongo?.stop(signal);
      },
      startMongo: async () => {
        if (!mongo) throw new Error('the hub runs no MongoDB server of its own');
        mongo = await startMongo({ port: mongo.port });
      },
      pid: (name) => procs.get(name)?.proc.pid,
      output: (name) => procs.get(name)?.output() ?? '',
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

export interface HttpResult {
  status: number;
  headers: Headers;
  text: string;
  /** Parsed JSON body (undefined when not JSON). */
  json: any;
}

/**
 * One HTTP request like a client would send it. `token` becomes `Authorization: Bearer <token>`
 * with its UTF-8 bytes sent raw (as curl does); `authorization` sets the header verbatim.
 */
export async function http(
  base: string,
  method: string,
  urlPath: string,
  opts: { token?: string; authorization?: string; body?: unknown; rawBody?: string | Buffer; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<HttpResult> {
  const headers: Record<string, string> = { ...opts.headers };
  const auth = opts.authorization ?? (opts.token !== undefined ? `Bearer ${opts.token}` : undefined);
  if (auth !== undefined) headers.authorization = Buffer.from(auth, 'utf8').toString('latin1');
  let body: string | Buffer | undefined = opts.rawBody;
  if (opts.body !== undefined) body = JSON.stringify(opts.body);
  if (body !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
  const res = await fetch(`${base}${urlPath}`, { method, headers, body, signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000) });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** Decodes a JWT's header and payload (no verification). */
export function decodeJwt(token: string): { header: Record<string, unknown>; payload: Record<string, unknown> } {
  const [h, p] = token.split('.');
  const dec = (s: string | undefined) => JSON.parse(Buffer.from(s ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
  return { header: dec(h), payload: dec(p) };
}

/** Machine metadata HAPI accepts. */
export const MACHINE_METADATA = { host: 'peerhost', platform: 'linux', happyCliVersion: '0.30.7' };
/** Session metadata HAPI accepts. */
export const SESSION_METADATA = { path: '/tmp/proj', host: 'peerhost' };

/**
 * Declares a body of `declaredLength` bytes but sends only `prefix` of it over a raw socket, and
 * resolves with the status line and body of the server's answer (e.g. an early 413).
 */
export function httpDeclaredBody(base: string, method: string, urlPath: string, headers: Record<string, string>, declaredLength: number, prefix = ''): Promise<{ status: number; text: string }> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const sock = net.connect(Number(u.port), u.hostname);
    let raw = '';
    const lines = [`${method} ${urlPath} HTTP/1.1`, `Host: ${u.host}`, `Content-Length: ${declaredLength}`, 'Connection: close'];
    for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
    sock.on('connect', () => sock.write(`${lines.join('\r\n')}\r\n\r\n${prefix}`));
    sock.setEncoding('utf8');
    sock.on('data', (c: string) => (raw += c));
    sock.on('error', reject);
    sock.on('close', () => {
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1] ?? 0);
      const body = raw.slice(raw.indexOf('\r\n\r\n') + 4);
      resolve({ status, text: body });
    });
    sock.setTimeout(10_000, () => sock.destroy(new Error('timeout')));
  });
}

/** `POST /api/auth {accessToken}` → the web JWT; throws with the hub's answer otherwise. */
export async function webToken(url: string, accessToken: string): Promise<string> {
  const r = await http(url, 'POST', '/api/auth', { body: { accessToken } });
  if (r.status !== 200 || typeof (r.json as { token?: unknown })?.token !== 'string') throw new Error(`POST /api/auth ${r.status}: ${r.text}`);
  return (r.json as { token: string }).token;
}

/** `POST /cli/sessions` as the CLI does (a fresh tag by default); throws unless 200. */
export async function createCliSession(url: string, token: string, tag: string = randomBytes(8).toString('hex')): Promise<any> {
  const r = await http(url, 'POST', '/cli/sessions', { token, body: { tag, metadata: SESSION_METADATA, agentState: {} } });
  if (r.status !== 200) throw new Error(`POST /cli/sessions ${r.status}: ${r.text}`);
  return (r.json as { session: unknown }).session;
}
