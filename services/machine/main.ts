import { runServiceMain, type OpenedStore } from '../../lib/service-main.js';
import { connectMongo } from '../../lib/store/mongo.js';
import { ensureEventStream, eventsJetStream } from '../../lib/events/stream.js';
import { EventPublisher } from '../../lib/events/publisher.js';
import { loadMachineConfig, type MachineConfig } from './config.js';
import { machineServices } from './server.js';
import { SqliteMachineStore } from './store-sqlite.js';
import { MongoMachineStore } from './store-mongo.js';
import type { MachineStore } from './store.js';

async function openStore(cfg: MachineConfig): Promise<OpenedStore<MachineStore>> {
  let store: MachineStore;
  if (cfg.store.kind === 'mongo') {
    const { client, db } = await connectMongo(cfg.store.url, cfg.store.dbName);
    store = new MongoMachineStore(db, () => client.close());
  } else {
    store = SqliteMachineStore.open(cfg.store.file);
  }
  try {
    await store.init();
  } catch (err) {
    await store.close();
    throw err;
  }
  return { store, close: () => store.close() };
}

await runServiceMain<MachineConfig, MachineStore>({
  name: 'machine',
  healthName: 'teamhub.machine.v1.MachineService',
  reflectionProtos: ['teamhub/machine/v1/machine.proto'],
  loadConfig: loadMachineConfig,
  openStore,
  compose: async ({ log, nc, store }) => {
    await ensureEventStream(nc);
    return machineServices({ store, events: new EventPublisher(eventsJetStream(nc)), log });
  },
});
