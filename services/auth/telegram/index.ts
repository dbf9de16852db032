import os from 'node:os';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '../../../lib/logger.js';
import type { Namespace } from '../../../lib/namespace.js';
import { requestRpc } from '../../../lib/rpc/rpc-request.js';
import type { AuthStore } from '../store.js';
import { BotApi } from './bot-api.js';
import type { TelegramConfig } from './config.js';
import { KvLease, openLeasesBucket, POLLER_KEY } from './lease.js';
import { Notifier } from './notifier.js';
import { Poller } from './poller.js';
import { GrpcSessionDirectory } from './sessions.js';
import { TelegramState } from './state.js';
import { updateHandler } from './updates.js';

/** HAPI's permission RPC answer; the web uses the same timeout class. */
const PERMISSION_RPC_TIMEOUT_MS = 30_000;

export interface TelegramBotDeps {
  botToken: string | undefined;
  cfg: TelegramConfig;
  internalSecret: string;
  nc: NatsConnection;
  store: Pick<AuthStore, 'getTelegramBinding' | 'listTelegramRecipients'>;
  log: Logger;
}

export interface TelegramBot {
  stop(): Promise<void>;
}

/**
 * Starts the Telegram bot in this auth replica: the getUpdates poller (which only polls while
 * it holds the `telegram-poller` lease) and the notification consumer (one NATS queue group
 * across replicas). Without TELEGRAM_BOT_TOKEN it does nothing.
 */
export async function startTelegramBot(d: TelegramBotDeps): Promise<TelegramBot> {
  const log = d.log.child({ component: 'telegram' });
  if (!d.botToken) {
    log.info('telegram bot disabled (no TELEGRAM_BOT_TOKEN)');
    return { stop: async () => {} };
  }
  const api = new BotApi(d.cfg.apiBaseUrl, d.botToken);
  const sessions = new GrpcSessionDirectory(d.cfg.sessionAddr, d.internalSecret);
  const state = await TelegramState.open(d.nc);
  const leases = await openLeasesBucket(d.nc, d.cfg.leaseTtlMs);
  const lease = new KvLease(leases, POLLER_KEY, `${os.hostname()}/${process.pid}`, d.cfg.leaseTtlMs, log);
  const namespaceOf = async (userId: number): Promise<Namespace | null> => (await d.store.getTelegramBinding(userId))?.namespace ?? null;
  const poller = new Poller({
    api,
    lease,
    leaseTtlMs: d.cfg.leaseTtlMs,
    pollTimeoutSec: d.cfg.pollTimeoutSec,
    offsets: state,
    log,
    handle: updateHandler({
      api,
      publicUrl: d.cfg.publicUrl,
      namespaceOf,
      sessions,
      permission: (ns, sessionId, params) => requestRpc(d.nc, ns, sessionId, 'permission', params, PERMISSION_RPC_TIMEOUT_MS),
      log,
    }),
  });
  poller.start();
  let notifier: Notifier | null = null;
  if (d.cfg.notifications) {
    notifier = new Notifier({ nc: d.nc, api, state, sessions, recipients: (ns) => d.store.listTelegramRecipients(ns), publicUrl: d.cfg.publicUrl, log });
    notifier.start();
  } else {
    log.info('telegram notifications disabled (TELEGRAM_NOTIFICATION=false)');
  }
  log.info({ notifications: d.cfg.notifications }, 'telegram bot started');
  return {
    stop: async () => {
      await notifier?.stop();
      await poller.stop();
      sessions.close();
    },
  };
}
