import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '../lib/logger.js';
import type { Namespace } from '../lib/namespace.js';
import type { HubCallContext } from '../lib/context.js';
import type { RpcClient } from '../lib/grpc/client.js';
import type { AuthServiceService } from '../lib/gen/teamhub/auth/v1/auth.js';
import type { SessionServiceService } from '../lib/gen/teamhub/session/v1/session.js';
import type { MachineServiceService } from '../lib/gen/teamhub/machine/v1/machine.js';
import type { NotifyServiceService } from '../lib/gen/teamhub/notify/v1/notify.js';
import type { ScratchlistServiceService } from '../lib/gen/teamhub/session/v1/scratchlist.js';
import type { GatewayConfig } from './config.js';
import type { RevocationNotice } from './live/connections.js';

export interface ServiceClients {
  auth: RpcClient<typeof AuthServiceService>;
  session: RpcClient<typeof SessionServiceService>;
  machine: RpcClient<typeof MachineServiceService>;
  notify: RpcClient<typeof NotifyServiceService>;
  /** The session service's scratchlist (same address as `session`). */
  scratchlist: RpcClient<typeof ScratchlistServiceService>;
}

/** A web (JWT) caller. */
export interface WebPrincipal {
  namespace: Namespace;
  jti: string;
  /** Expiry, seconds since the epoch. */
  exp: number;
  /** Issue time in milliseconds (from the jti), for a namespace's revocation cut-off. */
  issuedMs: number;
  uid: number;
}

/**
 * Turns client credentials into a namespace. The gateway is the only component that does this;
 * everything downstream receives the namespace in the call context (and so in call metadata).
 */
export interface Authenticator {
  /**
   * Raw access token (/cli Bearer, socket handshake) → namespace. Throws AppError ('Invalid token',
   * or resource_exhausted). `ctx` carries the request id of the asking request into the auth call.
   */
  resolveAccessToken(token: string, clientAddr: string, surface: 'cli' | 'socket', ctx?: HubCallContext): Promise<Namespace>;
  /** Web JWT → principal. Throws AppError unauthenticated ('Invalid token' / 'Invalid token payload'). */
  verifyWebToken(jwt: string): Promise<WebPrincipal>;
  /** Admin token check (admin routes). Throws AppError permission_denied / resource_exhausted. */
  checkAdminToken(token: string, clientAddr: string, action: string, ctx?: HubCallContext): Promise<void>;
  /**
   * Tells `fn` of every revocation this replica learns (the auth service's NATS event, a logout
   * made here), and calls it with null after each full refresh of the revocation list; returns
   * an unsubscribe. Live connections use it to close what a revocation covers.
   */
  watchRevocations?(fn: (notice: RevocationNotice | null) => void): () => void;
  /** Whether a web JWT is revoked now by this replica's list (expiry aside). */
  isWebTokenRevoked?(p: { namespace: Namespace; jti: string; issuedMs: number }): boolean;
  /** A 30 s, single-use ticket standing for this web JWT, for `GET /api/events?ticket=`. */
  issueSseTicket?(p: WebPrincipal): { ticket: string; expiresInMs: number };
  /** Spends a ticket: the principal of the JWT it was taken with, still valid. Throws AppError unauthenticated. */
  redeemSseTicket?(ticket: string): Promise<WebPrincipal>;
  /** Whether a socket's access token stopped being its namespace's (registered mode, as of the last refresh). */
  isAccessTokenRevoked?(c: { namespace: Namespace; tokenHash: string; openedAt: number }): boolean;
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
