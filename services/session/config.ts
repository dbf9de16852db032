import { EnvReader, readSecretFile, readCommon, type CommonConfig, type Env } from '../../lib/config.js';
import type { ServiceConfigBase } from '../../lib/service-main.js';
import { readStoreConfig, type StoreConfig } from '../../lib/store/config.js';
import { DEFAULT_MAX_SESSIONS_PER_NAMESPACE, readContentLimits } from '../../lib/limits.js';
import type { SessionLimits } from './domain.js';
import { readScratchlistLimits, type ScratchlistLimits } from './scratchlist-config.js';

export interface SessionConfig extends ServiceConfigBase, CommonConfig {
  store: StoreConfig;
  limits: SessionLimits;
  /** Scheduled delivery (scheduler.ts): the longest sleep between looks, and how long a claim holds. */
  schedule: { pollMs: number; claimMs: number };
  scratchlist: ScratchlistLimits;
}

/** TEAMHUB_SESSION_LISTEN (default 127.0.0.1:50152), the common settings, the store and the scheduler. */
export function loadSessionConfig(env: Env): SessionConfig {
  const r = new EnvReader(env);
  const common = readCommon(r, readSecretFile);
  const store = readStoreConfig(r, 'session');
  const listen = r.str('TEAMHUB_SESSION_LISTEN', '127.0.0.1:50152');
  const limits: SessionLimits = {
    ...readContentLimits(r),
    maxSessionsPerNamespace: r.int('TEAMHUB_MAX_SESSIONS_PER_NAMESPACE', DEFAULT_MAX_SESSIONS_PER_NAMESPACE, { min: 1 }),
  };
  const schedule = {
    pollMs: r.int('TEAMHUB_SCHEDULE_POLL_MS', 2_000, { min: 10, max: 60_000 }),
    claimMs: r.int('TEAMHUB_SCHEDULE_CLAIM_MS', 30_000, { min: 1_000, max: 600_000 }),
  };
  const scratchlist = readScratchlistLimits(r);
  return r.done({ ...common, store, listen, limits, schedule, scratchlist });
}
