import { EnvReader, readCommon } from '../../lib/config.js';
import { readSecretFile, type ServiceConfigBase } from '../../lib/service-main.js';
import { readStoreConfig, type StoreConfig } from '../../lib/store/config.js';

export interface MachineConfig extends ServiceConfigBase {
  store: StoreConfig;
}

export const DEFAULT_MACHINE_LISTEN = '127.0.0.1:50153';

/** Reads and validates the machine service's environment once; throws one ConfigError listing every problem. */
export function loadMachineConfig(env: NodeJS.ProcessEnv): Readonly<MachineConfig> {
  const r = new EnvReader(env);
  const common = readCommon(r, readSecretFile);
  const store = readStoreConfig(r, 'machine');
  const listen = r.str('TEAMHUB_MACHINE_LISTEN', DEFAULT_MACHINE_LISTEN);
  return r.done({ ...common, store, listen });
}
