import path from 'node:path';
import { EnvReader, type Env } from '../../lib/config.js';
import { readStoreConfig, type StoreConfig } from '../../lib/store/config.js';
import type { ServiceConfigBase } from '../../lib/service-main.js';
import { readTelegramConfig, type TelegramConfig } from './telegram/config.js';

export type NamespaceMode = 'open' | 'registered';

/**
 * The auth service's configuration. Unlike the other services it does not require the internal
 * secret in the environment: it generates one on first start and keeps it in its store. So
 * `internalSecret` starts empty and is filled in (once) by `setInternalSecret` after the
 * secrets are resolved, before the gRPC server is built (runServiceMain reads it after compose).
 */
export interface AuthConfig extends ServiceConfigBase {
  store: StoreConfig;
  namespaceMode: NamespaceMode;
  failLimit: number;
  failWindowMs: number;
  telegramBotToken: string | undefined;
  /** The Telegram bot (poller, notifications, buttons); see telegram/config.ts. */
  telegram: TelegramConfig;
  /** Raw CLI_API_TOKEN from the environment (normalized later; see hub-token.ts). */
  envBaseToken: string | undefined;
  settingsFile: string;
  adminTokenOverride: string | undefined;
  internalSecretOverride: string | undefined;
  internalSecretFile: string | undefined;
  announceSecrets: boolean;
  setInternalSecret(secret: string): void;
}

export const DEFAULT_AUTH_LISTEN = '127.0.0.1:50151';

export function loadAuthConfig(env: Env): AuthConfig {
  const r = new EnvReader(env);
  const dataDir = r.str('TEAMHUB_DATA_DIR', '.teamhub');
  const holder = { secret: '' };
  const internalSecretOverride = r.str('TEAMHUB_INTERNAL_SECRET')?.trim() || undefined;
  if (internalSecretOverride !== undefined && internalSecretOverride.length < 16) {
    r.problem('TEAMHUB_INTERNAL_SECRET must be at least 16 characters');
  }
  const adminTokenOverride = r.str('TEAMHUB_ADMIN_TOKEN')?.trim() || undefined;
  if (adminTokenOverride !== undefined && adminTokenOverride.length < 16) {
    r.problem('TEAMHUB_ADMIN_TOKEN must be at least 16 characters');
  }
  const values = {
    natsUrl: r.str('TEAMHUB_NATS_URL', 'nats://127.0.0.1:4222'),
    logLevel: r.oneOf('TEAMHUB_LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
    listen: r.str('TEAMHUB_AUTH_LISTEN', DEFAULT_AUTH_LISTEN),
    store: readStoreConfig(r, 'auth'),
    namespaceMode: r.oneOf('TEAMHUB_NAMESPACE_MODE', ['open', 'registered'] as const, 'open'),
    failLimit: r.int('TEAMHUB_AUTH_FAIL_LIMIT', 10, { min: 1 }),
    failWindowMs: r.int('TEAMHUB_AUTH_FAIL_WINDOW_MS', 60_000, { min: 1 }),
    telegramBotToken: r.str('TELEGRAM_BOT_TOKEN')?.trim() || undefined,
    telegram: readTelegramConfig(r),
    envBaseToken: r.str('CLI_API_TOKEN'),
    settingsFile: path.resolve(r.str('TEAMHUB_SETTINGS_FILE', path.join(dataDir, 'settings.json'))),
    adminTokenOverride,
    internalSecretOverride,
    internalSecretFile: r.str('TEAMHUB_INTERNAL_SECRET_FILE'),
    announceSecrets: r.bool('TEAMHUB_ANNOUNCE_SECRETS', false),
  };
  return r.done({
    ...values,
    get internalSecret(): string {
      return holder.secret;
    },
    setInternalSecret(secret: string): void {
      holder.secret = secret;
    },
  });
}
