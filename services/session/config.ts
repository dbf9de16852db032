import { EnvReader, readCommon, type Env } from '../../lib/config.js';
import { readSecretFile, type ServiceConfigBase } from '../../lib/service-main.js';
import { readStoreConfig, type StoreConfig } from '../../lib/store/config.js';

export interface SessionConfig extends ServiceConfigBase {
  store: StoreConfig;
}

/** TEAMHUB_SESSION_LISTEN (default 127.0.0.1:50152), the common settings and the store. */
export function loadSessionConfig(env: Env): SessionConfig {
  const r = new EnvReader(env);
  const common = readCommon(r, readSecretFile);
  const store = readStoreConfig(r, 'session');
  const listen = r.str('TEAMHUB_SESSION_LISTEN', '127.0.0.1:50152');
  return r.done({ ...common, store, listen });
}
