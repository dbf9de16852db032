import { runServiceMain } from '../../lib/service-main.js';
import { openConfiguredStore } from '../../lib/store/open.js';
import { loadNotifyConfig } from './config.js';
import { GrpcDirectory } from './directory.js';
import { NotifyDomain } from './domain.js';
import { NotificationConsumer } from './events.js';
import { Notifier, type NotificationChannel } from './notifications.js';
import { NotifyState } from './notify-state.js';
import { buildServices, HEALTH_NAME, REFLECTION_PROTOS } from './server.js';
import type { NotifyStore } from './store.js';
import { SqliteNotifyStore } from './store-sqlite.js';
import { startBot } from './telegram/bot.js';
import { VisiblePages } from './visible-pages.js';
import { WebPushChannel } from './web-push.js';

await runServiceMain({
  name: 'notify',
  healthName: HEALTH_NAME,
  reflectionProtos: REFLECTION_PROTOS,
  loadConfig: loadNotifyConfig,
  openStore: ({ cfg, log }) => openConfiguredStore<NotifyStore>(cfg.store, { sqlite: (f) => SqliteNotifyStore.open(f), mongo: async (u, d) => (await import('./store-mongo.js')).MongoNotifyStore.open(u, d) }, log),
  compose: async ({ cfg, log, nc, store, shutdown }) => {
    const domain = new NotifyDomain(store, cfg);
    // Made (or read) at start, so the first notification does not wait for it.
    await domain.vapidKeys();
    const state = await NotifyState.open(nc, cfg.readyCooldownMs, cfg.natsReplicas);
    const directory = new GrpcDirectory(cfg, cfg.internalSecret);
    shutdown.add('directory', () => directory.close());
    const bot = await startBot({ cfg, nc, state, directory, log });
    shutdown.add('telegram bot', () => bot.stop());
    const push = new WebPushChannel({
      store,
      vapidKeys: () => domain.vapidKeys(),
      vapidSubject: cfg.vapidSubject,
      pages: new VisiblePages(nc, cfg.toastTimeoutMs),
      timeoutMs: cfg.pushTimeoutMs,
    });
    const channels: NotificationChannel[] = bot.channel ? [push, bot.channel] : [push];
    const consumer = new NotificationConsumer(nc, new Notifier({ channels, state, directory }), log);
    consumer.start();
    shutdown.add('notifications', () => consumer.stop());
    log.info({ channels: channels.map((c) => c.name) }, 'notifications started');
    return { services: buildServices({ domain }), internalSecret: cfg.internalSecret };
  },
});
