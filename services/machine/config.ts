import { EnvReader, readSecretFile, readCommon, type CommonConfig } from '../../lib/config.js';
import type { ServiceConfigBase } from '../../lib/service-main.js';
import { readStoreConfig, type StoreConfig } from '../../lib/store/config.js';
import { DEFAULT_MAX_MACHINES_PER_NAMESPACE, readContentLimits } from '../../lib/limits.js';
import type { MachineLimits } from './domain.js';

export interface MachineConfig extends ServiceConfigBase, CommonConfig {
  store: StoreConfig;
  limits: MachineLimits;
}

export const DEFAULT_MACHINE_LISTEN = '127.0.0.1:50153';

/** Reads and validates the machine service's environment once; throws one ConfigError listing every problem. */
export function loadMachineConfig(env: NodeJS.ProcessEnv): Readonly<MachineConfig> {
  const r = new EnvReader(env);
  const common = readCommon(r, readSecretFile);
  const store = readStoreConfig(r, 'machine');
  const listen = r.str('TEAMHUB_MACHINE_LISTEN', DEFAULT_MACHINE_LISTEN);
  const limits: MachineLimits = {
    ...readContentLimits(r),
    maxMachinesPerNamespace: r.int('TEAMHUB_MAX_MACHINES_PER_NAMESPACE', DEFAULT_MAX_MACHINES_PER_NAMESPACE, { min: 1 }),
  };
  return r.done({ ...common, store, listen, limits });
}
