import { runServiceMain } from '../../lib/service-main.js';
import { startEventPipeline } from '../../lib/events/pipeline.js';
import { openConfiguredStore } from '../../lib/store/open.js';
import { loadMachineConfig } from './config.js';
import type { MachineStore } from './store.js';
import { buildServices, HEALTH_NAME, REFLECTION_PROTOS } from './server.js';
import { SqliteMachineStore } from './store-sqlite.js';

await runServiceMain({
  name: 'machine',
  healthName: HEALTH_NAME,
  reflectionProtos: REFLECTION_PROTOS,
  loadConfig: loadMachineConfig,
  openStore: ({ cfg, log }) => openConfiguredStore<MachineStore>(cfg.store, { sqlite: (f) => SqliteMachineStore.open(f), mongo: async (u, d) => (await import('./store-mongo.js')).MongoMachineStore.open(u, d) }, log),
  compose: async ({ cfg, log, nc, store, shutdown }) => {
    // Events go into the store's outbox with each write; the relay publishes them (events.ts).
    const events = await startEventPipeline({ nc, outbox: store.outbox, cfg, log });
    shutdown.add('event relay', () => events.close());
    return { services: buildServices({ store, sink: events.sink, limits: cfg.limits }), internalSecret: cfg.internalSecret, aroundCall: events.aroundCall };
  },
});
