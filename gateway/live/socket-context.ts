import type { Socket } from 'socket.io';
import type { GatewayDeps } from '../deps.js';
import type { Namespace } from '../../lib/namespace.js';

export type LivenessKind = 'session' | 'machine';

/**
 * Liveness kept where the socket is: last-alive times live in this replica's memory; only
 * transitions (online ↔ offline) reach the store and NATS. A heartbeat costs no write and no
 * network message.
 */
export interface LivenessTracker {
  /** Records a heartbeat; `onChange` callbacks fire only when the entity becomes active. */
  touch(kind: LivenessKind, ns: Namespace, id: string, at: number, extra?: Record<string, unknown>): void;
  /** Marks inactive now (e.g. session-end, socket gone for good). */
  end(kind: LivenessKind, ns: Namespace, id: string, at: number): void;
  /** Last heartbeat time known to THIS replica, or undefined. */
  lastAlive(kind: LivenessKind, ns: Namespace, id: string): number | undefined;
  /** Extra runtime fields from the last heartbeat (e.g. thinking, health), or undefined. */
  runtime(kind: LivenessKind, ns: Namespace, id: string): Record<string, unknown> | undefined;
}

/** Everything a socket event handler needs; built once per authenticated `/cli` socket. */
export interface SocketContext {
  socket: Socket;
  namespace: Namespace;
  deps: GatewayDeps;
  liveness: LivenessTracker;
  /** `<replicaId>/<socket.id>`: passed as `origin` so this socket is not echoed its own update. */
  origin: string;
  /** Session id from the handshake, when it is accessible in this namespace. */
  sessionId?: string;
  /** Machine id from the handshake, when it is accessible in this namespace. */
  machineId?: string;
  /** HAPI's `error` event: {message, code, scope, id}. */
  emitError(message: string, code: 'access-denied' | 'not-found' | 'namespace-missing' | 'invalid', scope: 'session' | 'machine' | 'rpc', id?: string): void;
}
