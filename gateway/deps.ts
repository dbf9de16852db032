import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '../lib/logger.js';
import type { Namespace } from '../lib/namespace.js';
import type { RpcClient } from '../lib/grpc/client.js';
import type { AuthServiceService } from '../lib/gen/teamhub/auth/v1/auth.js';
import type { SessionServiceService } from '../lib/gen/teamhub/session/v1/session.js';
import type { MachineServiceService } from '../lib/gen/teamhub/machine/v1/machine.js';

/** Gateway settings, read and validated once by `loadGatewayConfig`. */
export interface GatewayConfig {
  listenHost: string;
  listenPort: number;
  publicUrl: string;
  /** Allowed browser origins; '*' allows any. The CLI sends no Origin and is always allowed. */
  corsOrigins: string[];
  authAddr: string;
  sessionAddr: string;
  machineAddr: string;
  natsUrl: string;
  internalSecret: string;
  logLevel: string;
  /** Largest accepted request body (TEAMHUB_MAX_BODY_BYTES, default 8 MiB). */
  maxBodyBytes: number;
  /** Session inactive after this long without `session-alive` (HAPI: 30 s). */
  sessionTimeoutMs: number;
  /** Machine offline after this long without `machine-alive` (HAPI: 45 s). */
  machineTimeoutMs: number;
  /** How often expiry is checked (HAPI: 5 s). */
  sweepIntervalMs: number;
  /** Hub → socket RPC timeout (HAPI: 30 s). */
  rpcTimeoutMs: number;
  /** Replica lease TTL in the NATS KV bucket; a dead replica's sockets are swept after it. */
  replicaLeaseMs: number;
  /** SSE heartbeat interval (HAPI: 30 s). */
  sseHeartbeatMs: number;
  /** Where the built web page lives (served at /). */
  webDir: string;
  /**
   * Trust X-Forwarded-For from the reverse proxy in front (TEAMHUB_TRUST_PROXY), so throttling and
   * the audit log see the client's address rather than the proxy's. Off unless a proxy is there.
   */
  trustProxy: boolean;
}

export interface ServiceClients {
  auth: RpcClient<typeof AuthServiceService>;
  session: RpcClient<typeof SessionServiceService>;
  machine: RpcClient<typeof MachineServiceService>;
}

/** A web (JWT) caller. */
export interface WebPrincipal {
  namespace: Namespace;
  jti: string;
  /** Expiry, seconds since the epoch. */
  exp: number;
  uid: number;
}

/**
 * Turns client credentials into a namespace. The gateway is the only component that does this;
 * everything downstream receives the namespace in call metadata.
 */
export interface Authenticator {
  /** Raw access token (/cli Bearer, socket handshake) → namespace. Throws AppError ('Invalid token', or resource_exhausted). */
  resolveAccessToken(token: string, clientAddr: string, surface: 'cli' | 'socket'): Promise<Namespace>;
  /** Web JWT → principal. Throws AppError unauthenticated ('Invalid token' / 'Invalid token payload'). */
  verifyWebToken(jwt: string): Promise<WebPrincipal>;
  /** Admin token check (admin routes). Throws AppError permission_denied / resource_exhausted. */
  checkAdminToken(token: string, clientAddr: string, action: string): Promise<void>;
  close(): Promise<void>;
}

/** What route and socket modules receive; passed explicitly, never global. */
export interface GatewayDeps {
  cfg: GatewayConfig;
  log: Logger;
  clients: ServiceClients;
  nc: NatsConnection;
  auth: Authenticator;
  /** Unique id of this gateway replica (for RPC routing, leases, event origins). */
  replicaId: string;
}
