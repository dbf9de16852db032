import { EnvReader, readCommon, readSecretFile, type CommonConfig, type Env } from '../../lib/config.js';
import type { ServiceConfigBase } from '../../lib/service-main.js';
import { readStoreConfig, type StoreConfig } from '../../lib/store/config.js';

/** The notify service's settings, read and checked once at start. */
export interface NotifyConfig extends ServiceConfigBase, CommonConfig {
  store: StoreConfig;
  /** TELEGRAM_BOT_TOKEN; without it the Telegram bot is off (Web Push and the RPCs still run). */
  botToken: string | undefined;
  /** Bot API root, without the `/bot<token>` part. Tests point it at a local stub. */
  apiBaseUrl: string;
  /** Where WebApp buttons open the Mini App (HAPI_PUBLIC_URL). */
  publicUrl: string;
  /** TELEGRAM_NOTIFICATION=false turns Telegram notifications off (commands and buttons still work). */
  notifications: boolean;
  /** Long-polling timeout of getUpdates, in seconds. */
  pollTimeoutSec: number;
  /** Time-to-live of the poller lease in NATS KV; the holder renews it every third of that. */
  leaseTtlMs: number;
  /** The auth service: Telegram bindings and recipients. */
  authAddr: string;
  /** The session service: sessions for notifications and button taps. */
  sessionAddr: string;
  /** VAPID_SUBJECT: the contact a push service may use about this hub's pushes (HAPI's default). */
  vapidSubject: string;
  /** How long one Web Push delivery may take before it is given up. */
  pushTimeoutMs: number;
  /** A second "ready" of one session within this window notifies nobody (HAPI: 5 s). */
  readyCooldownMs: number;
  /** How long a gateway replica may take to show a toast before the notifier pushes instead. */
  toastTimeoutMs: number;
  /** Web Push subscriptions one namespace may hold. */
  maxPushSubscriptions: number;
  /** Native devices one namespace may register. */
  maxDevices: number;
  /** Work-graph events one namespace may hold. */
  maxWorkEvents: number;
  /** Links one namespace's work graph may hold. */
  maxWorkLinks: number;
}

export const DEFAULT_TELEGRAM_API_BASE_URL = 'https://api.telegram.org';
export const DEFAULT_NOTIFY_LISTEN = '127.0.0.1:50154';

export function loadNotifyConfig(env: Env): Readonly<NotifyConfig> {
  const r = new EnvReader(env);
  const common = readCommon(r, readSecretFile);
  const apiBaseUrl = r.str('TELEGRAM_API_BASE_URL', DEFAULT_TELEGRAM_API_BASE_URL).replace(/\/+$/, '');
  const publicUrl = r.str('HAPI_PUBLIC_URL', 'http://localhost:3006').replace(/\/+$/, '');
  for (const [name, value] of [['TELEGRAM_API_BASE_URL', apiBaseUrl], ['HAPI_PUBLIC_URL', publicUrl]] as const) {
    if (!/^https?:\/\/[^\s/]+/.test(value)) r.problem(`${name} must be an http(s) URL, got ${JSON.stringify(value)}`);
  }
  const vapidSubject = r.str('VAPID_SUBJECT', 'mailto:admin@hapi.run');
  if (!/^(mailto:\S+|https:\/\/\S+)$/.test(vapidSubject)) r.problem(`VAPID_SUBJECT must be a mailto: or https: URL, got ${JSON.stringify(vapidSubject)}`);
  return r.done({
    ...common,
    store: readStoreConfig(r, 'notify'),
    listen: r.str('TEAMHUB_NOTIFY_LISTEN', DEFAULT_NOTIFY_LISTEN),
    botToken: r.str('TELEGRAM_BOT_TOKEN')?.trim() || undefined,
    apiBaseUrl,
    publicUrl,
    notifications: r.bool('TELEGRAM_NOTIFICATION', true),
    pollTimeoutSec: r.int('TELEGRAM_POLL_TIMEOUT_SEC', 25, { min: 0, max: 50 }),
    leaseTtlMs: r.int('TELEGRAM_LEASE_TTL_MS', 10_000, { min: 300 }),
    authAddr: r.str('TEAMHUB_AUTH_ADDR', '127.0.0.1:50151'),
    sessionAddr: r.str('TEAMHUB_SESSION_ADDR', '127.0.0.1:50152'),
    vapidSubject,
    pushTimeoutMs: r.int('TEAMHUB_PUSH_TIMEOUT_MS', 10_000, { min: 100, max: 120_000 }),
    readyCooldownMs: r.int('TEAMHUB_READY_COOLDOWN_MS', 5_000, { min: 100, max: 3_600_000 }),
    toastTimeoutMs: r.int('TEAMHUB_TOAST_TIMEOUT_MS', 2_000, { min: 100, max: 30_000 }),
    maxPushSubscriptions: r.int('TEAMHUB_PUSH_MAX_SUBSCRIPTIONS', 100, { min: 1, max: 100_000 }),
    maxDevices: r.int('TEAMHUB_MAX_DEVICES', 100, { min: 1, max: 100_000 }),
    maxWorkEvents: r.int('TEAMHUB_WORK_GRAPH_MAX_EVENTS', 10_000, { min: 1, max: 10_000_000 }),
    maxWorkLinks: r.int('TEAMHUB_WORK_GRAPH_MAX_LINKS', 20_000, { min: 1, max: 10_000_000 }),
  });
}
