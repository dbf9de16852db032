import { runServiceMain } from '../../lib/service-main.js';
import { startEventPipeline } from '../../lib/events/pipeline.js';
import { openConfiguredStore } from '../../lib/store/open.js';
import { loadSessionConfig } from './config.js';
import type { SessionStore } from './store.js';
import { SessionEvents } from './events.js';
import { ScheduledDelivery } from './scheduler.js';
import { buildServices, HEALTH_NAME, REFLECTION_PROTOS } from './server.js';
import { SqliteSessionStore } from './store-sqlite.js';
import type { ScratchlistStore } from './scratchlist-store.js';
import { SqliteScratchlistStore } from './scratchlist-store-sqlite.js';

await runServiceMain({
  name: 'session',
  healthName: HEALTH_NAME,
  reflectionProtos: REFLECTION_PROTOS,
  loadConfig: loadSessionConfig,
  openStore: ({ cfg, log }) => openConfiguredStore<SessionStore>(cfg.store, { sqlite: (f) => SqliteSessionStore.open(f), mongo: async (u, d) => (await import('./store-mongo.js')).MongoSessionStore.open(u, d) }, log),
  compose: async ({ cfg, log, nc, store, shutdown }) => {
    // Events go into the store's outbox with each write; the relay publishes them (events.ts).
    const events = await startEventPipeline({ nc, outbox: store.outbox, cfg, log });
    shutdown.add('event relay', () => events.close());
    // Every replica runs the scheduler; the store's claims make each due message go out once. Its
    // work runs in the outbox's unit of work as a gRPC call does, so a delivery's event commits
    // with its release (stopped before the relay: shutdown runs in reverse).
    const scheduler = new ScheduledDelivery(store, new SessionEvents(events.sink), { ...cfg.schedule, log: log.child({ job: 'scheduler' }), unitOfWork: events.aroundCall });
    scheduler.start();
    shutdown.add('scheduler', () => scheduler.stop());
    // The scratchlist lives in the same file or database. On SQLite it shares the session store's
    // connection: every call runs in one transaction of that connection (the outbox's unit of
    // work), which a second connection's write would wait on until its busy timeout.
    const scratch =
      store instanceof SqliteSessionStore
        ? SqliteScratchlistStore.onConnection(store.connection)
        : await openConfiguredStore<ScratchlistStore>(cfg.store, { sqlite: (f) => SqliteScratchlistStore.open(f), mongo: async (u, d) => (await import('./scratchlist-store-mongo.js')).MongoScratchlistStore.open(u, d) }, log);
    shutdown.add('scratchlist store', () => scratch.close());
    const scratchlist = { store: scratch, limits: cfg.scratchlist };
    return { services: buildServices({ store, sink: events.sink, scheduler, scratchlist, limits: cfg.limits }), internalSecret: cfg.internalSecret, aroundCall: events.aroundCall };
  },
});
