import type { Namespace as IoNamespace, Server } from 'socket.io';
import { isAppError } from '../../lib/errors.js';
import type { Namespace } from '../../lib/namespace.js';
import type { GatewayDeps, WebPrincipal } from '../deps.js';

/** What a `/terminal` socket carries once its web JWT was verified. */
export interface TerminalSocketData {
  namespace: Namespace;
  /** The JWT it was opened with (the connection registry closes the socket when it is revoked). */
  principal?: WebPrincipal;
}

/**
 * HAPI's `/terminal` Socket.IO namespace on the gateway's server: the page authenticates with
 * its web JWT (`auth.token`); `Missing token`, `Invalid token` or `Invalid token payload` fail
 * the connection, as in HAPI. The socket's namespace is the JWT's and nothing the page sends
 * can change it.
 */
export function terminalNamespace(io: Server, deps: Pick<GatewayDeps, 'auth' | 'log'>): IoNamespace {
  const nsp = io.of('/terminal');
  nsp.use((socket, next) => {
    const token = (socket.handshake.auth as Record<string, unknown> | undefined)?.token;
    if (typeof token !== 'string' || token.length === 0) return next(new Error('Missing token'));
    deps.auth.verifyWebToken(token).then(
      (principal) => {
        socket.data = { namespace: principal.namespace, principal } satisfies TerminalSocketData;
        next();
      },
      (err: unknown) => {
        if (isAppError(err, 'unauthenticated')) return next(new Error(err.message === 'Invalid token payload' ? err.message : 'Invalid token'));
        deps.log.warn({ err }, 'terminal socket handshake failed');
        next(new Error('Service unavailable'));
      },
    );
  });
  return nsp;
}
