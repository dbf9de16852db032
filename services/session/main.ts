import { runServiceMain } from '../../lib/service-main.js';
import { ensureEventStream, eventsJetStream } from '../../lib/events/stream.js';
import { EventPublisher } from '../../lib/events/publisher.js';
import { loadSessionConfig, type SessionConfig } from './config.js';
import { SESSION_HEALTH_NAME, SESSION_REFLECTION_PROTOS, sessionServices } from './server.js';
import { MongoSessionStore } from './store-mongo.js';
import { SqliteSessionStore } from './store-sqlite.js';
import type { SessionStore } from './store.js';

async function openStore(cfg: SessionConfig): Promise<{ store: SessionStore; close: () => Promise<void> }> {
  const store = cfg.store.kind === 'mongo' ? await MongoSessionStore.open(cfg.store.url, cfg.store.dbName) : SqliteSessionStore.open(cfg.store.file);
  return { store, close: () => store.close() };
}

await runServiceMain<SessionConfig, SessionStore>({
  name: 'session',
  healthName: SESSION_HEALTH_NAME,
  reflectionProtos: SESSION_REFLECTION_PROTOS,
  loadConfig: loadSessionConfig,
  openStore,
  compose: async ({ nc, store, log }) => {
    await ensureEventStream(nc);
    return sessionServices({ store, sink: new EventPublisher(eventsJetStream(nc)), log });
  },
});
