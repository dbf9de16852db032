import { EnvReader, type Env } from '../config.js';

/** Whether a service's gRPC server answers server reflection (what grpcurl and grpcui ask first). */
export interface ReflectionConfig {
  enabled: boolean;
}

/**
 * TEAMHUB_GRPC_REFLECTION: `true` serves reflection, off by default. Reflection loads every proto
 * file of the service into memory at start (about 8 MiB per service, and the proto loader's own
 * modules), which `make run` does not need; the containers turn it on for debugging.
 */
export function loadReflectionConfig(env: Env): Readonly<ReflectionConfig> {
  const r = new EnvReader(env);
  return r.done({ enabled: r.bool('TEAMHUB_GRPC_REFLECTION', false) });
}
