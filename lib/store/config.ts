import path from 'node:path';
import type { EnvReader } from '../config.js';

/** Which store a service uses: one SQLite file per service on one machine, MongoDB in containers. */
export type StoreConfig =
  | { kind: 'sqlite'; file: string }
  | { kind: 'mongo'; url: string; dbName: string };

/**
 * TEAMHUB_STORE=sqlite|mongo (default sqlite); TEAMHUB_DATA_DIR (default ./.teamhub) holds
 * `<service>.db`; TEAMHUB_MONGO_URL and TEAMHUB_MONGO_DB (default "teamhub") for Mongo.
 */
export function readStoreConfig(r: EnvReader, service: string): StoreConfig {
  const kind = r.oneOf('TEAMHUB_STORE', ['sqlite', 'mongo'] as const, 'sqlite');
  if (kind === 'mongo') {
    return { kind, url: r.required('TEAMHUB_MONGO_URL'), dbName: r.str('TEAMHUB_MONGO_DB', 'teamhub') };
  }
  return { kind, file: path.resolve(r.str('TEAMHUB_DATA_DIR', '.teamhub'), `${service}.db`) };
}
