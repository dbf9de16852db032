import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { RpcClient } from '../../../lib/grpc/client.js';
import { AuthServiceService } from '../../../lib/gen/teamhub/auth/v1/auth.js';
import { SessionServiceService } from '../../../lib/gen/teamhub/session/v1/session.js';
import { signInitData } from '../../../lib/auth/telegram-init-data.js';
import { freePort } from '../../helpers/ports.js';
import { startProcess, type Started } from '../../helpers/processes.js';
import { nodeEntry } from '../../helpers/node-entry.js';
import { startNats, type NatsServer } from '../../helpers/nats-server.js';
import { startMongo, type MongoServer } from '../../helpers/mongo-server.js';
import { startTelegramStub, type TelegramStub } from '../../helpers/telegram-stub.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const LEASE_TTL_MS = 1500;

export interface TelegramHub {
  stub: TelegramStub;
  nc: NatsConnection;
  baseToken: string;
  auth: RpcClient<typeof AuthServiceService>;
  sessions: RpcClient<typeof SessionServiceService>;
  /** The running Telegram bot replicas (index → process). */
  botProcs: (Started | null)[];
  startBot(i: number): Promise<void>;
  killBot(i: number): Promise<void>;
  /** pid of the replica holding the poller lease, or null. */
  pollerPid(): Promise<number | null>;
  /** Binds Telegram user `userId` to namespace `ns` through the auth service's BindTelegram. */
  bind(userId: number, ns: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * REAL processes on loopback: NATS, jongodb, one auth and one session service on a Mongo store,
 * and `replicas` notify processes (the Telegram bot runs in each), all pointed at a local Telegram
 * Bot API stub.
 */
export async function startTelegramHub(opts: { replicas?: number; env?: Record<string, string> } = {}): Promise<TelegramHub> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'teamhub-tg-'));
  const baseToken = `base${randomBytes(12).toString('hex')}`;
  const internalSecret = `internal${randomBytes(16).toString('hex')}`;
  const [nats, mongo, stub]: [NatsServer, MongoServer, TelegramStub] = await Promise.all([startNats(), startMongo(), startTelegramStub()]);
  const sessionAddr = `127.0.0.1:${await freePort()}`;
  const authAddr = `127.0.0.1:${await freePort()}`;
  const common: NodeJS.ProcessEnv = {
    ...process.env,
    TEAMHUB_LOG_LEVEL: 'warn',
    TEAMHUB_STORE: 'mongo',
    TEAMHUB_MONGO_URL: mongo.url,
    TEAMHUB_NATS_URL: nats.url,
    TEAMHUB_INTERNAL_SECRET: internalSecret,
    TEAMHUB_SESSION_ADDR: sessionAddr,
    TEAMHUB_SESSION_LISTEN: sessionAddr,
    TEAMHUB_AUTH_ADDR: authAddr,
    TELEGRAM_BOT_TOKEN: stub.token,
  };
  const procs: Started[] = [];
  const botProcs: (Started | null)[] = [];
  const session = await startProcess('node', nodeEntry('services/session/main'), {
    cwd: ROOT,
    env: { ...common, TEAMHUB_MONGO_DB: mongo.freshDbName() },
    ready: /TEAMHUB_READY session port=/,
    name: 'session',
    timeoutMs: 30_000,
  });
  procs.push(session);
  const authProc = await startProcess('node', nodeEntry('services/auth/main'), {
    cwd: ROOT,
    env: {
      ...common,
      TEAMHUB_MONGO_DB: mongo.freshDbName(),
      TEAMHUB_AUTH_LISTEN: authAddr,
      TEAMHUB_AUTH_FAIL_LIMIT: '1000',
      CLI_API_TOKEN: baseToken,
      TEAMHUB_ADMIN_TOKEN: `admin${randomBytes(16).toString('hex')}`,
      TEAMHUB_SETTINGS_FILE: path.join(dataDir, 'settings.json'),
    },
    ready: /TEAMHUB_READY auth port=/,
    name: 'auth',
    timeoutMs: 30_000,
  });
  procs.push(authProc);
  const startBot = async (i: number) => {
    botProcs[i] = await startProcess('node', nodeEntry('services/notify/main'), {
      cwd: ROOT,
      env: {
        ...common,
        TEAMHUB_NOTIFY_LISTEN: `127.0.0.1:${await freePort()}`,
        TEAMHUB_MONGO_DB: notifyDb,
        TELEGRAM_API_BASE_URL: stub.url,
        HAPI_PUBLIC_URL: 'https://hub.example.test',
        TELEGRAM_POLL_TIMEOUT_SEC: '1',
        TELEGRAM_LEASE_TTL_MS: String(LEASE_TTL_MS),
        ...opts.env,
      },
      ready: /TEAMHUB_READY notify port=/,
      name: `notify${i}`,
      timeoutMs: 30_000,
    });
  };
  const notifyDb = mongo.freshDbName();
  const replicas = opts.replicas ?? 2;
  await Promise.all(Array.from({ length: replicas }, (_, i) => startBot(i)));
  const nc = await connect({ servers: nats.url });
  const auth = new RpcClient(AuthServiceService, authAddr, { internalSecret });
  const sessions = new RpcClient(SessionServiceService, sessionAddr, { internalSecret });
  const leases = await new Kvm(nc).open('teamhub_leases');
  return {
    stub,
    nc,
    baseToken,
    auth,
    sessions,
    botProcs,
    startBot,
    async killBot(i) {
      await botProcs[i]?.stop('SIGKILL');
      botProcs[i] = null;
    },
    async pollerPid() {
      const e = await leases.get('telegram-poller');
      if (!e || e.operation !== 'PUT') return null;
      const owner = String((e.json() as { owner?: unknown }).owner ?? '');
      return Number(owner.slice(owner.lastIndexOf('/') + 1)) || null;
    },
    async bind(userId, ns) {
      const initData = signInitData(stub.token, { auth_date: String(Math.floor(Date.now() / 1000)), user: JSON.stringify({ id: userId, first_name: 'T' }) });
      await auth.call('bindTelegram', { initData, accessToken: `${baseToken}:${ns}`, clientAddr: '127.0.0.1' }, { hub: true });
    },
    async stop() {
      auth.close();
      sessions.close();
      await nc.close().catch(() => undefined);
      await Promise.all([...botProcs, ...procs].map((p) => p?.stop().catch(() => undefined)));
      await Promise.all([stub.stop(), mongo.stop(), nats.stop()].map((p) => p.catch(() => undefined)));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
