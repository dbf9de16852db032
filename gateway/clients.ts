import { RpcClient } from '../lib/grpc/client.js';
import { AuthServiceService } from '../lib/gen/teamhub/auth/v1/auth.js';
import { SessionServiceService } from '../lib/gen/teamhub/session/v1/session.js';
import { MachineServiceService } from '../lib/gen/teamhub/machine/v1/machine.js';
import type { GatewayConfig, ServiceClients } from './deps.js';

/** Builds the gateway's three service clients; every call carries the internal secret. */
export function buildClients(cfg: Pick<GatewayConfig, 'authAddr' | 'sessionAddr' | 'machineAddr' | 'internalSecret'>): ServiceClients {
  const opts = { internalSecret: cfg.internalSecret };
  return {
    auth: new RpcClient(AuthServiceService, cfg.authAddr, opts),
    session: new RpcClient(SessionServiceService, cfg.sessionAddr, opts),
    machine: new RpcClient(MachineServiceService, cfg.machineAddr, opts),
  };
}

export function closeClients(clients: ServiceClients): void {
  clients.auth.close();
  clients.session.close();
  clients.machine.close();
}
