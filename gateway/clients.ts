import { RpcClient } from '../lib/grpc/client.js';
import { AuthServiceService } from '../lib/gen/teamhub/auth/v1/auth.js';
import { SessionServiceService } from '../lib/gen/teamhub/session/v1/session.js';
import { MachineServiceService } from '../lib/gen/teamhub/machine/v1/machine.js';
import { NotifyServiceService } from '../lib/gen/teamhub/notify/v1/notify.js';
import { ScratchlistServiceService } from '../lib/gen/teamhub/session/v1/scratchlist.js';
import type { GatewayConfig } from './config.js';
import type { ServiceClients } from './deps.js';

/** Builds the gateway's service clients; every call carries the internal secret. */
export function buildClients(cfg: Pick<GatewayConfig, 'authAddr' | 'sessionAddr' | 'machineAddr' | 'notifyAddr' | 'internalSecret'>): ServiceClients {
  const opts = { internalSecret: cfg.internalSecret };
  return {
    auth: new RpcClient(AuthServiceService, cfg.authAddr, opts),
    session: new RpcClient(SessionServiceService, cfg.sessionAddr, opts),
    machine: new RpcClient(MachineServiceService, cfg.machineAddr, opts),
    notify: new RpcClient(NotifyServiceService, cfg.notifyAddr, opts),
    scratchlist: new RpcClient(ScratchlistServiceService, cfg.sessionAddr, opts),
  };
}

export function closeClients(clients: ServiceClients): void {
  clients.auth.close();
  clients.session.close();
  clients.machine.close();
  clients.notify.close();
  clients.scratchlist.close();
}
