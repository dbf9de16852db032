import type { FastifyInstance } from 'fastify';
import type { GatewayDeps } from '../deps.js';
import type { Namespace } from '../../lib/namespace.js';
import { registerApiMessageRoutes } from '../routes/api-messages.js';
import { registerApiPermissionRoutes } from '../routes/api-permissions.js';
import { registerApiSessionRoutes } from '../routes/api-sessions.js';
import { registerEventRoutes } from '../routes/events.js';
import { Liveness } from './liveness.js';
import { liveEffects, markDeadInactive } from './liveness-effects.js';
import { ReplicaLeases } from './replica-leases.js';
import { RpcRouter } from './rpc-router.js';
import { startSocketServer } from './socket-server.js';
import { EventFeed } from './sse/event-feed.js';
import { EventIdCodec } from './sse/event-id.js';
import { SseHub } from './sse/sse-hub.js';

/**
 * The live half of the gateway: the Socket.IO `/cli` server, routed RPC to sockets on any
 * replica, liveness, SSE and the web session/message routes.
 */
export interface LiveHandle {
  /**
   * Calls `<scopeId>:<method>` on whichever replica's socket registered it, in `ns`. Resolves with
   * the socket's ack parsed from JSON; rejects with AppError('unavailable', ..., {details:{code:'rpc_target_missing'}})
   * when no socket holds it, or a timeout error.
   */
  rpcCall(ns: Namespace, scopeId: string, method: string, params: unknown, timeoutMs?: number): Promise<unknown>;
  /** Is this machine online (a machine-alive within the window, on any replica)? */
  isMachineOnline(ns: Namespace, machineId: string): Promise<boolean>;
  close(): Promise<void>;
}

/** Registers the live routes and attaches Socket.IO to `app.server`. Call before `app.listen`. */
export async function registerLive(app: FastifyInstance, deps: GatewayDeps): Promise<LiveHandle> {
  const { cfg, log } = deps;
  let leases: ReplicaLeases | undefined;
  const liveness = new Liveness({
    sessionTimeoutMs: cfg.sessionTimeoutMs,
    machineTimeoutMs: cfg.machineTimeoutMs,
    effects: liveEffects(deps.clients, () => leases!),
    log,
  });
  leases = await ReplicaLeases.start(deps.nc, deps.replicaId, cfg.replicaLeaseMs, markDeadInactive(deps.clients), log);
  const feed = await EventFeed.start(deps.nc, log);
  const sse = new SseHub(feed, new EventIdCodec(cfg.internalSecret), cfg.sseHeartbeatMs, log);
  const rpc = new RpcRouter(deps.nc, log, cfg.rpcTimeoutMs);
  const rpcCall = (ns: Namespace, scopeId: string, method: string, params: unknown, timeoutMs?: number) => rpc.call(ns, scopeId, method, params, timeoutMs);

  registerEventRoutes(app, deps, sse);
  registerApiSessionRoutes(app, deps, rpcCall);
  registerApiMessageRoutes(app, deps);
  registerApiPermissionRoutes(app, deps, rpcCall);
  const { io } = startSocketServer(app, deps, liveness, rpc);

  const sweep = setInterval(() => liveness.sweep(), cfg.sweepIntervalMs);
  sweep.unref();

  return {
    rpcCall,
    async isMachineOnline(ns, machineId) {
      if (liveness.isActiveHere('machine', ns, machineId)) return true;
      return leases!.isLive('machine', ns, machineId);
    },
    async close() {
      clearInterval(sweep);
      // Not io.close(): that would close app.server, which the app owns.
      io.of('/cli').disconnectSockets(true);
      io.engine.close();
      await feed.close();
      await liveness.settled();
      await leases!.close();
    },
  };
}
