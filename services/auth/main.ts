import { runServiceMain } from '../../lib/service-main.js';
import { openConfiguredStore } from '../../lib/store/open.js';
import { loadAuthConfig } from './config.js';
import type { AuthStore } from './store.js';
import { SqliteAuthStore } from './store-sqlite.js';
import { resolveSecrets } from './secrets.js';
import { HubTokenError } from './hub-token.js';
import { NatsRevocationSink } from './events.js';
import { buildServices, HEALTH_NAME, REFLECTION_PROTOS } from './server.js';
import { StorePruner } from './prune.js';

await runServiceMain({
  name: 'auth',
  healthName: HEALTH_NAME,
  reflectionProtos: REFLECTION_PROTOS,
  loadConfig: loadAuthConfig,
  openStore: ({ cfg, log }) => openConfiguredStore<AuthStore>(cfg.store, { sqlite: (f) => SqliteAuthStore.open(f), mongo: async (u, d) => (await import('./store-mongo.js')).MongoAuthStore.open(u, d) }, log),
  compose: async ({ cfg, log, nc, store, shutdown }) => {
    const io = { stderr: (l: string) => process.stderr.write(`${l}\n`), stdout: (l: string) => process.stdout.write(`${l}\n`) };
    let secrets;
    try {
      secrets = await resolveSecrets(store, cfg, log, io);
    } catch (err) {
      if (err instanceof HubTokenError) process.stderr.write(`Error: ${err.message}\n`);
      throw err;
    }
    const services = buildServices({ cfg, store, secrets, revocations: new NatsRevocationSink(nc, log), log });
    const pruner = new StorePruner(store, { failWindowMs: cfg.failWindowMs, trustMs: cfg.trustMs, auditRetentionMs: cfg.auditRetentionMs, auditMaxRows: cfg.auditMaxRows, intervalMs: cfg.pruneIntervalMs }, log);
    pruner.start();
    shutdown.add('pruner', () => pruner.stop());
    // The store holds the internal secret (generated on first start), so it is known only now.
    return { services, internalSecret: secrets.internalSecret };
  },
});
