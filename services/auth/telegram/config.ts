import type { EnvReader } from '../../../lib/config.js';

/** The Telegram bot's settings (the bot token itself is `AuthConfig.telegramBotToken`). */
export interface TelegramConfig {
  /** Bot API root, without the `/bot<token>` part. Tests point it at a local stub. */
  apiBaseUrl: string;
  /** Where WebApp buttons open the Mini App (HAPI_PUBLIC_URL). */
  publicUrl: string;
  /** TELEGRAM_NOTIFICATION=false turns notifications off (commands and buttons still work). */
  notifications: boolean;
  /** Long-polling timeout of getUpdates, in seconds. */
  pollTimeoutSec: number;
  /** Time-to-live of the poller lease in NATS KV; the holder renews it every third of that. */
  leaseTtlMs: number;
  /** The session service, for resolving callback buttons. */
  sessionAddr: string;
}

export const DEFAULT_TELEGRAM_API_BASE_URL = 'https://api.telegram.org';

export function readTelegramConfig(r: EnvReader): TelegramConfig {
  const apiBaseUrl = r.str('TELEGRAM_API_BASE_URL', DEFAULT_TELEGRAM_API_BASE_URL).replace(/\/+$/, '');
  const publicUrl = r.str('HAPI_PUBLIC_URL', 'http://localhost:3006').replace(/\/+$/, '');
  for (const [name, value] of [['TELEGRAM_API_BASE_URL', apiBaseUrl], ['HAPI_PUBLIC_URL', publicUrl]] as const) {
    if (!/^https?:\/\/[^\s/]+/.test(value)) r.problem(`${name} must be an http(s) URL, got ${JSON.stringify(value)}`);
  }
  return {
    apiBaseUrl,
    publicUrl,
    notifications: r.bool('TELEGRAM_NOTIFICATION', true),
    pollTimeoutSec: r.int('TELEGRAM_POLL_TIMEOUT_SEC', 25, { min: 0, max: 50 }),
    leaseTtlMs: r.int('TELEGRAM_LEASE_TTL_MS', 10_000, { min: 300 }),
    sessionAddr: r.str('TEAMHUB_SESSION_ADDR', '127.0.0.1:50152'),
  };
}
