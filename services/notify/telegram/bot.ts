import os from 'node:os';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '../../../lib/logger.js';
import { requestRpc } from '../../../lib/rpc/rpc-request.js';
import type { NotifyConfig } from '../config.js';
import type { Directory } from '../directory.js';
import type { NotifyState } from '../notify-state.js';
import { BotApi } from './bot-api.js';
import { KvLease, openLeasesBucket, POLLER_KEY } from './lease.js';
import { TelegramChannel } from './notifications.js';
import { Poller } from './poller.js';
import { updateHandler } from './updates.js';

/** HAPI's permission RPC answer; the web uses the same timeout class. */
const PERMISSION_RPC_TIMEOUT_MS = 30_000;

export interface BotDeps {
  cfg: Pick<NotifyConfig, 'botToken' | 'apiBaseUrl' | 'publicUrl' | 'notifications' | 'pollTimeoutSec' | 'leaseTtlMs' | 'natsReplicas'>;
  nc: NatsConnection;
  state: NotifyState;
  directory: Directory;
  log: Logger;
}

export interface RunningBot {
  /** The bot's notification channel, or null when Telegram notifications are off. */
  channel: TelegramChannel | null;
  stop(): Promise<void>;
}

/**
 * Starts the Telegram bot in this process: the getUpdates poller, which only polls while it holds
 * the `telegram-poller` lease (so one replica polls), and the bot's notification channel. Without
 * TELEGRAM_BOT_TOKEN there is no bot (Web Push still runs).
 */
export async function startBot(d: BotDeps): Promise<RunningBot> {
  const { cfg, log } = d;
  if (!cfg.botToken) {
    log.info('telegram bot disabled (no TELEGRAM_BOT_TOKEN)');
    return { channel: null, stop: async () => {} };
  }
  const api = new BotApi(cfg.apiBaseUrl, cfg.botToken);
  const leases = await openLeasesBucket(d.nc, cfg.leaseTtlMs, cfg.natsReplicas);
  const lease = new KvLease(leases, POLLER_KEY, `${os.hostname()}/${process.pid}`, cfg.leaseTtlMs, log);
  const poller = new Poller({
    api,
    lease,
    leaseTtlMs: cfg.leaseTtlMs,
    pollTimeoutSec: cfg.pollTimeoutSec,
    offsets: d.state,
    log,
    handle: updateHandler({
      api,
      publicUrl: cfg.publicUrl,
      directory: d.directory,
      permission: (ctx, sessionId, params) => requestRpc(d.nc, ctx.namespace, sessionId, 'permission', params, PERMISSION_RPC_TIMEOUT_MS),
      log,
    }),
  });
  poller.start();
  if (!cfg.notifications) log.info('telegram notifications disabled (TELEGRAM_NOTIFICATION=false)');
  log.info({ notifications: cfg.notifications }, 'telegram bot started');
  return {
    channel: cfg.notifications ? new TelegramChannel({ api, directory: d.directory, publicUrl: cfg.publicUrl }) : null,
    stop: () => poller.stop(),
  };
}
