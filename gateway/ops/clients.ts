import type { FastifyInstance } from 'fastify';
import { RpcClient } from '../../lib/grpc/client.js';
import { AuthOpsServiceService } from '../../lib/gen/teamhub/auth/v1/auth_ops.js';
import { MachineOpsServiceService } from '../../lib/gen/teamhub/machine/v1/machine_ops.js';
import { SessionOpsServiceService } from '../../lib/gen/teamhub/session/v1/session_ops.js';
import type { GatewayConfig } from '../config.js';

/** Clients of the services' hub-operation APIs (counts, imports): only admin routes use them. */
export interface OpsClients {
  auth: RpcClient<typeof AuthOpsServiceService>;
  session: RpcClient<typeof SessionOpsServiceService>;
  machine: RpcClient<typeof MachineOpsServiceService>;
}

/** Built on the app's services' addresses, closed with the app. */
export function buildOpsClients(app: FastifyInstance, cfg: Pick<GatewayConfig, 'authAddr' | 'sessionAddr' | 'machineAddr' | 'internalSecret'>): OpsClients {
  const opts = { internalSecret: cfg.internalSecret };
  const clients: OpsClients = {
    auth: new RpcClient(AuthOpsServiceService, cfg.authAddr, opts),
    session: new RpcClient(SessionOpsServiceService, cfg.sessionAddr, opts),
    machine: new RpcClient(MachineOpsServiceService, cfg.machineAddr, opts),
  };
  app.addHook('onClose', async () => {
    clients.auth.close();
    clients.session.close();
    clients.machine.close();
  });
  return clients;
}
