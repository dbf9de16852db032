import type { FastifyInstance } from 'fastify';
import { Server, type Socket } from 'socket.io';
import { isAppError } from '../../lib/errors.js';
import type { Namespace } from '../../lib/namespace.js';
import type { GatewayDeps } from '../deps.js';
import type { Liveness } from './liveness.js';
import { attachMachineHandlers } from './machine-socket.js';
import { RoomRelay } from './room-relay.js';
import type { RpcRouter } from './rpc-router.js';
import { attachSessionHandlers } from './session-socket.js';
import { machineAccess, sessionAccess, SessionAccessCache, type Access } from './socket-access.js';
import type { SocketContext } from './socket-context.js';

interface HandshakeData {
  namespace: Namespace;
  sessionId?: string;
  sessionAccess?: Access;
  machineId?: string;
  machineAccess?: Access;
}

const str = (v: unknown) => (typeof v === 'string' && v.length > 0 ? v : undefined);

export function originAllowed(origin: string | undefined, allowed: readonly string[]): boolean {
  if (origin === undefined) return true; // the CLI and runner send none
  return allowed.includes('*') || allowed.includes(origin);
}

/** The Socket.IO `/cli` server on the gateway's HTTP server (reference §3.5). */
export function startSocketServer(app: FastifyInstance, deps: GatewayDeps, liveness: Liveness, rpc: RpcRouter): { io: Server; relay: RoomRelay } {
  const { cfg } = deps;
  const io = new Server(app.server, {
    path: '/socket.io/',
    transports: ['websocket', 'polling'],
    maxHttpBufferSize: cfg.maxBodyBytes,
    allowRequest: (req, cb) => cb(null, originAllowed(req.headers.origin, cfg.corsOrigins)),
    cors: { origin: cfg.corsOrigins.includes('*') ? true : cfg.corsOrigins, credentials: false },
  });
  const nsp = io.of('/cli');
  const relay = new RoomRelay(deps.nc, nsp, deps.replicaId, deps.log);

  nsp.use((socket, next) => {
    void (async () => {
      const auth = (socket.handshake.auth ?? {}) as Record<string, unknown>;
      const token = str(auth.token);
      if (!token) return next(new Error('Invalid token'));
      let ns: Namespace;
      try {
        ns = await deps.auth.resolveAccessToken(token, handshakeAddr(socket.handshake, deps.cfg.trustProxy), 'socket');
      } catch (err) {
        return next(new Error(isAppError(err, 'resource_exhausted') ? err.message : 'Invalid token'));
      }
      const data: HandshakeData = { namespace: ns, sessionId: str(auth.sessionId), machineId: str(auth.machineId) };
      if (data.sessionId) data.sessionAccess = await sessionAccess(deps.clients, ns, data.sessionId);
      if (data.machineId) data.machineAccess = await machineAccess(deps.clients, ns, data.machineId);
      socket.data = data;
      next();
    })().catch((err: unknown) => {
      deps.log.warn({ err }, 'socket handshake failed');
      next(new Error('Service unavailable'));
    });
  });

  nsp.on('connection', (socket) => onConnection(socket, deps, liveness, rpc, relay));
  return { io, relay };
}

function onConnection(socket: Socket, deps: GatewayDeps, liveness: Liveness, rpc: RpcRouter, relay: RoomRelay): void {
  const hs = socket.data as HandshakeData;
  const ns = hs.namespace;
  const ctx: SocketContext = {
    socket,
    namespace: ns,
    deps,
    liveness,
    origin: `${deps.replicaId}/${socket.id}`,
    sessionId: hs.sessionAccess === 'ok' ? hs.sessionId : undefined,
    machineId: hs.machineAccess === 'ok' ? hs.machineId : undefined,
    emitError: (message, code, scope, id) => socket.emit('error', id === undefined ? { message, code, scope } : { message, code, scope, id }),
  };
  const access = new SessionAccessCache(deps.clients, ns);
  if (hs.sessionId && hs.sessionAccess) access.seed(hs.sessionId, hs.sessionAccess);

  /**
   * A handshake id that did not exist yet at connect (the entity registered right after) is
   * adopted on the socket's first use of it, once it is found in this namespace.
   */
  const adopt = async (kind: 'session' | 'machine', id: string): Promise<boolean> => {
    if (kind === 'session' && (ctx.sessionId === id || hs.sessionId !== id)) return ctx.sessionId === id;
    if (kind === 'machine' && (ctx.machineId === id || hs.machineId !== id)) return ctx.machineId === id;
    const found = kind === 'session' ? await access.check(id) : await machineAccess(deps.clients, ns, id);
    if (found !== 'ok') return false;
    if (kind === 'session') ctx.sessionId = id;
    else ctx.machineId = id;
    if (socket.connected) relay.join(socket, ns, kind, id);
    return true;
  };

  attachSessionHandlers(ctx, access, liveness);
  attachRpcHandlers(ctx, rpc, adopt);
  attachMachineHandlers(ctx);

  socket.on('disconnect', () => {
    rpc.dropSocket(socket);
    relay.leaveAll(socket);
  });

  if (hs.sessionId) {
    if (ctx.sessionId) relay.join(socket, ns, 'session', ctx.sessionId);
    else ctx.emitError(hs.sessionAccess === 'access-denied' ? 'session access denied' : 'session not found', hs.sessionAccess === 'access-denied' ? 'access-denied' : 'not-found', 'session', hs.sessionId);
  }
  if (hs.machineId) {
    if (ctx.machineId) relay.join(socket, ns, 'machine', ctx.machineId);
    else ctx.emitError(hs.machineAccess === 'access-denied' ? 'machine access denied' : 'machine not found', hs.machineAccess === 'access-denied' ? 'access-denied' : 'not-found', 'machine', hs.machineId);
  }
}

/** `rpc-register` / `rpc-unregister`: only `<own sessionId>:*` or `<own machineId>:*` (DESIGN §7). */
function attachRpcHandlers(ctx: SocketContext, rpc: RpcRouter, adopt: (kind: 'session' | 'machine', id: string) => Promise<boolean>): void {
  const hs = ctx.socket.data as HandshakeData;
  const scopeOf = async (method: string): Promise<{ scopeId: string; name: string } | null> => {
    for (const [kind, scopeId] of [['session', hs.sessionId], ['machine', hs.machineId]] as const) {
      if (!scopeId || !method.startsWith(`${scopeId}:`) || method.length <= scopeId.length + 1) continue;
      if (await adopt(kind, scopeId)) return { scopeId, name: method.slice(scopeId.length + 1) };
    }
    return null;
  };
  // Registrations are applied in arrival order even though the scope check may be async.
  let chain = Promise.resolve();
  ctx.socket.on('rpc-register', (data: unknown) => {
    const method = typeof data === 'object' && data !== null ? (data as { method?: unknown }).method : undefined;
    if (typeof method !== 'string' || method.length === 0) return;
    chain = chain
      .then(async () => {
        const target = await scopeOf(method);
        if (!target) return ctx.emitError('rpc method not allowed', 'access-denied', 'rpc', method);
        if (ctx.socket.connected) rpc.register(ctx.socket, ctx.namespace, target.scopeId, target.name);
      })
      .catch((err: unknown) => ctx.deps.log.warn({ err }, 'rpc-register failed'));
  });
  ctx.socket.on('rpc-unregister', (data: unknown) => {
    const method = typeof data === 'object' && data !== null ? (data as { method?: unknown }).method : undefined;
    if (typeof method === 'string') chain = chain.then(() => rpc.unregister(ctx.socket, ctx.namespace, method));
  });
}

/** The client's address: the first X-Forwarded-For hop when a trusted proxy is in front. */
function handshakeAddr(h: { address: string; headers: Record<string, string | string[] | undefined> }, trustProxy: boolean): string {
  const fwd = h.headers['x-forwarded-for'];
  const first = (Array.isArray(fwd) ? fwd[0] : fwd)?.split(',')[0]?.trim();
  return trustProxy && first ? first : h.address;
}
