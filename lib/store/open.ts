import type { Logger } from '../logger.js';
import type { StoreConfig } from './config.js';

/** What every service store has: opened by a static `open`, closed once at shutdown. */
export interface ClosableStore {
  close(): Promise<void>;
}

/** The two ways a service's store class opens, one per backend (schema or indexes made inside). */
export interface StoreOpeners<S extends ClosableStore> {
  sqlite(file: string): Promise<S>;
  mongo(url: string, dbName: string): Promise<S>;
}

/** Opens the configured backend of a service's store (TEAMHUB_STORE) and logs which. */
export async function openConfiguredStore<S extends ClosableStore>(cfg: StoreConfig, open: StoreOpeners<S>, log: Logger): Promise<S> {
  if (cfg.kind === 'sqlite') {
    const store = await open.sqlite(cfg.file);
    log.info({ file: cfg.file }, 'store opened: sqlite');
    return store;
  }
  // Loaded here, not at the top: the MongoDB driver is about 16 MiB of a process's memory, which a
  // process on SQLite (the `make run` default) should not pay.
  const { answerUnavailableWhileDown } = await import('./mongo.js');
  const store = await open.mongo(cfg.url, cfg.dbName);
  log.info({ db: cfg.dbName }, 'store opened: mongo');
  return answerUnavailableWhileDown(store);
}
