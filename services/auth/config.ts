import path from 'node:path';
import { EnvReader, readSecretFile, readNatsSettings, type Env } from '../../lib/config.js';
import { readStoreConfig, type StoreConfig } from '../../lib/store/config.js';
import { WEB_JWT_TTL_SEC } from '../../lib/auth/jwt.js';
import type { ServiceConfigBase } from '../../lib/service-main.js';

export type NamespaceMode = 'open' | 'registered';

/**
 * The auth service's configuration. Unlike the other services it does not need the internal
 * secret in the environment: it generates one on first start and keeps it in its store, so the
 * secret is resolved at start (secrets.ts) and handed to the gRPC server next to this config,
 * which stays as it was read.
 */
export interface AuthConfig extends ServiceConfigBase {
  store: StoreConfig;
  namespaceMode: NamespaceMode;
  failLimit: number;
  failWindowMs: number;
  /** Lifetime of a web JWT; its SSE streams are closed when it expires. */
  webJwtTtlSec: number;
  /** How long a token that worked from a client keeps it exempt from others' failures there. */
  trustMs: number;
  /** Audit rows older than this are pruned (TEAMHUB_AUDIT_RETENTION_DAYS). */
  auditRetentionMs: number;
  /** At most this many audit rows are kept, the newest (TEAMHUB_AUDIT_MAX_ROWS). */
  auditMaxRows: number;
  /** How often expired revocations, finished throttle windows and old audit rows are pruned. */
  pruneIntervalMs: number;
  /** Where the admin token is written (0600) for the `teamhub` CLI and the operator, when set. */
  adminTokenFile: string | undefined;
  /** Enables Telegram Mini App login and binding (the bot itself runs in services/notify). */
  telegramBotToken: string | undefined;
  /** Raw CLI_API_TOKEN from the environment (normalized later; see hub-token.ts). */
  envBaseToken: string | undefined;
  settingsFile: string;
  adminTokenOverride: string | undefined;
  internalSecretOverride: string | undefined;
  internalSecretFile: string | undefined;
  announceSecrets: boolean;
}

export const DEFAULT_AUTH_LISTEN = '127.0.0.1:50151';
const DAY_MS = 24 * 3600_000;

export function loadAuthConfig(env: Env): Readonly<AuthConfig> {
  const r = new EnvReader(env);
  const dataDir = r.str('TEAMHUB_DATA_DIR', '.teamhub');
  const internalSecretOverride = r.str('TEAMHUB_INTERNAL_SECRET')?.trim() || undefined;
  if (internalSecretOverride !== undefined && internalSecretOverride.length < 16) {
    r.problem('TEAMHUB_INTERNAL_SECRET must be at least 16 characters');
  }
  const adminTokenOverride = r.str('TEAMHUB_ADMIN_TOKEN')?.trim() || undefined;
  if (adminTokenOverride !== undefined && adminTokenOverride.length < 16) {
    r.problem('TEAMHUB_ADMIN_TOKEN must be at least 16 characters');
  }
  return r.done({
    ...readNatsSettings(r, readSecretFile),
    logLevel: r.oneOf('TEAMHUB_LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
    listen: r.str('TEAMHUB_AUTH_LISTEN', DEFAULT_AUTH_LISTEN),
    store: readStoreConfig(r, 'auth'),
    namespaceMode: r.oneOf('TEAMHUB_NAMESPACE_MODE', ['open', 'registered'] as const, 'open'),
    failLimit: r.int('TEAMHUB_AUTH_FAIL_LIMIT', 10, { min: 1 }),
    failWindowMs: r.int('TEAMHUB_AUTH_FAIL_WINDOW_MS', 60_000, { min: 1 }),
    trustMs: r.int('TEAMHUB_AUTH_TRUST_DAYS', 30, { min: 0, max: 3650 }) * DAY_MS,
    webJwtTtlSec: r.int('TEAMHUB_WEB_JWT_TTL_SEC', WEB_JWT_TTL_SEC, { min: 1, max: WEB_JWT_TTL_SEC }),
    auditRetentionMs: r.int('TEAMHUB_AUDIT_RETENTION_DAYS', 90, { min: 1, max: 36500 }) * DAY_MS,
    auditMaxRows: r.int('TEAMHUB_AUDIT_MAX_ROWS', 1_000_000, { min: 1000 }),
    pruneIntervalMs: r.int('TEAMHUB_AUTH_PRUNE_INTERVAL_MS', 10 * 60_000, { min: 1000 }),
    adminTokenFile: r.str('TEAMHUB_ADMIN_TOKEN_FILE'),
    telegramBotToken: r.str('TELEGRAM_BOT_TOKEN')?.trim() || undefined,
    envBaseToken: r.str('CLI_API_TOKEN'),
    settingsFile: path.resolve(r.str('TEAMHUB_SETTINGS_FILE', path.join(dataDir, 'settings.json'))),
    adminTokenOverride,
    internalSecretOverride,
    internalSecretFile: r.str('TEAMHUB_INTERNAL_SECRET_FILE'),
    announceSecrets: r.bool('TEAMHUB_ANNOUNCE_SECRETS', false),
  });
}
