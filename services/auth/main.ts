import { runServiceMain, type OpenedStore } from '../../lib/service-main.js';
import { connectMongo } from '../../lib/store/mongo.js';
import type { Logger } from '../../lib/logger.js';
import { loadAuthConfig, type AuthConfig } from './config.js';
import type { AuthStore } from './store.js';
import { SqliteAuthStore } from './store-sqlite.js';
import { MongoAuthStore } from './store-mongo.js';
import { resolveSecrets } from './secrets.js';
import { HubTokenError } from './hub-token.js';
import { NatsRevocationSink } from './events.js';
import { buildAuthServices } from './server.js';
import { startTelegramBot } from './telegram/index.js';

/** Opens the configured store (SQLite file or MongoDB). */
export async function openAuthStore(cfg: Pick<AuthConfig, 'store'>, log: Logger): Promise<OpenedStore<AuthStore>> {
  if (cfg.store.kind === 'sqlite') {
    const store = SqliteAuthStore.open(cfg.store.file);
    log.info({ file: cfg.store.file }, 'auth store: sqlite');
    return { store, close: () => store.close() };
  }
  const { client, db } = await connectMongo(cfg.store.url, cfg.store.dbName);
  const store = new MongoAuthStore(db);
  await store.init();
  log.info({ db: cfg.store.dbName }, 'auth store: mongo');
  return { store, close: () => client.close() };
}

await runServiceMain<AuthConfig, AuthStore>({
  name: 'auth',
  healthName: 'teamhub.auth.v1.AuthService',
  reflectionProtos: ['teamhub/auth/v1/auth.proto'],
  loadConfig: loadAuthConfig,
  openStore: openAuthStore,
  compose: async ({ cfg, log, nc, store, shutdown }) => {
    const io = { stderr: (l: string) => process.stderr.write(`${l}\n`), stdout: (l: string) => process.stdout.write(`${l}\n`) };
    let secrets;
    try {
      secrets = await resolveSecrets(store, cfg, log, io);
    } catch (err) {
      if (err instanceof HubTokenError) process.stderr.write(`Error: ${err.message}\n`);
      throw err;
    }
    // The gRPC server is built after compose and reads cfg.internalSecret then.
    cfg.setInternalSecret(secrets.internalSecret);
    const bot = await startTelegramBot({ botToken: cfg.telegramBotToken, cfg: cfg.telegram, internalSecret: secrets.internalSecret, nc, store, log });
    shutdown.add('telegram', () => bot.stop());
    return buildAuthServices({ cfg, store, secrets, revocations: new NatsRevocationSink(nc, log), log });
  },
});
