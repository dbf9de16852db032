import type { FastifyInstance } from 'fastify';
import type { GatewayDeps } from '../deps.js';
import type { Namespace } from '../../lib/namespace.js';

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

/** Registers the live routes and attaches Socket.IO to `app.server`. (Stub until the live module lands.) */
export async function registerLive(_app: FastifyInstance, _deps: GatewayDeps): Promise<LiveHandle> {
  return {
    rpcCall: async () => {
      throw new Error('live module not built yet');
    },
    isMachineOnline: async () => false,
    close: async () => {},
  };
}
