import type { Socket } from 'socket.io';
import type { CallContext } from '../../lib/context.js';
import type { Namespace } from '../../lib/namespace.js';
import type { GatewayDeps } from '../deps.js';
import type { RpcRouter } from './rpc-router.js';
import type { SessionAccessCache } from './socket-access.js';

export type LivenessKind = 'session' | 'machine';

/**
 * Liveness kept where the socket is: last-alive times live in this replica's memory; only
 * transitions (online ↔ offline) reach the store and NATS. A heartbeat costs no write and no
 * network message.
 */
export interface LivenessTracker {
  /** Records a heartbeat; effects run only on transitions (became active, thinking flipped). */
  touch(kind: LivenessKind, ns: Namespace, id: string, at: number, extra?: Record<string, unknown>): void;
  /** Marks inactive now (e.g. session-end, socket gone for good). */
  end(kind: LivenessKind, ns: Namespace, id: string, at: number): void;
  /** `end`, resolving once the transition (after any queued one) has run. */
  endAndWait(kind: LivenessKind, ns: Namespace, id: string, at: number): Promise<void>;
  /** Last heartbeat time known to THIS replica, or undefined. */
  lastAlive(kind: LivenessKind, ns: Namespace, id: string): number | undefined;
  /** Extra runtime fields from the last heartbeat (e.g. thinking, health), or undefined. */
  runtime(kind: LivenessKind, ns: Namespace, id: string): Record<string, unknown> | undefined;
}

/**
 * Everything a socket event handler module needs; built once per authenticated `/cli` socket
 * by the socket server (live/socket-server.ts) and handed to every module of the route registry.
 */
export interface SocketContext {
  socket: Socket;
  namespace: Namespace;
  deps: GatewayDeps;
  liveness: LivenessTracker;
  /** Routed RPC: registrations of this socket's methods. */
  rpc: RpcRouter;
  /** Session access of this socket, cached per id. */
  access: SessionAccessCache;
  /** `<replicaId>/<socket.id>`: passed as `origin` so this socket is not echoed its own update. */
  origin: string;
  /** Session id from the handshake, when it is accessible in this namespace. */
  sessionId?: string;
  /** Machine id from the handshake, when it is accessible in this namespace. */
  machineId?: string;
  /**
   * Adopts the handshake's session or machine id once it exists in this namespace (it may be
   * registered right after the socket connects) and joins its room; true when the id is the
   * socket's own.
   */
  adopt(kind: LivenessKind, id: string): Promise<boolean>;
  /** A fresh call context for one socket event: its own request id (`<socket>-<n>`). */
  call(): CallContext;
  /**
   * HAPI's `error` event: {message, code, scope, id}. `limit-exceeded` is teamhub's own code for
   * a fair-share limit (HAPI has none of these limits).
   */
  emitError(message: string, code: 'access-denied' | 'not-found' | 'namespace-missing' | 'invalid' | 'limit-exceeded', scope: 'session' | 'machine' | 'rpc', id?: string): void;
}
