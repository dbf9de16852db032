import type { Server as HttpServer } from 'node:http';
import { Server, type Socket } from 'socket.io';
import { Encoder, PacketType } from 'socket.io-parser';
import { hubContext, namespaceContext, type CallContext } from '../../lib/context.js';
import { isAppError } from '../../lib/errors.js';
import type { Namespace } from '../../lib/namespace.js';
import type { GatewayDeps, WebPrincipal } from '../deps.js';
import { credentialFromJson } from '../http/credential.js';
import { ClientAddressResolver } from '../http/client-address.js';
import { accessTokenHash, type CloseReason, type ConnectionRegistry, type LiveRegistration } from './connections.js';
import { boundedParser, OVERSIZED_EVENT } from './bounded-parser.js';
import { liftFrameLimit, limitUntilAuthenticated, type EngineSocketLike } from './frame-limit.js';
import { paceInput, type PacedConnection } from './input-pacing.js';
import type { Liveness } from './liveness.js';
import type { NamespaceFeeds } from './namespace-feeds.js';
import { RoomRelay } from './room-relay.js';
import type { RpcRouter } from './rpc-router.js';
import { boundSocketPayloads } from './socket-payload-bounds.js';
import { machineAccess, sessionAccess, SessionAccessCache, type Access } from './socket-access.js';
import type { SocketContext } from './socket-context.js';
import { traceSocketEvents, watchSocketConnections } from './socket-observe.js';

interface HandshakeData {
  namespace: Namespace;
  sessionId?: string;
  sessionAccess?: Access;
  machineId?: string;
  machineAccess?: Access;
}

/** HAPI's largest Socket.IO message from a client (an ack with a 25 MiB image, base64). */
const SOCKET_MAX_MESSAGE_BYTES = 48 * 1024 * 1024;

/** A socket event handler module (routes/socket-*.ts): attaches its events to one socket. */
export type SocketHandlers = (ctx: SocketContext) => void;

const str = (v: unknown) => (typeof v === 'string' && v.length > 0 ? v : undefined);

export function originAllowed(origin: string | undefined, allowed: readonly string[]): boolean {
  if (origin === undefined) return true; // the CLI and runner send none
  return allowed.includes('*') || allowed.includes(origin);
}

/** Packets of one connection handled per turn of the event loop before it yields (input-pacing.ts). */
const PACKETS_PER_TURN = 200;

/** What a socket is told when the credential it was opened with stops working. */
function closingNotice(reason: CloseReason): { message: string; code: string; scope: string } {
  return { message: reason === 'revoked' ? 'Credential revoked' : 'Credential expired', code: 'unauthorized', scope: 'auth' };
}

/**
 * The Socket.IO `/cli` server on the gateway's HTTP server: the handshake (token → namespace,
 * the handshake's session and machine checked in it, the socket registered with its credential
 * so a revocation closes it), the rooms a socket joins, and a `SocketContext` per socket handed to
 * every handler module registered with `use` (the route registry registers them all). The only
 * event answered here is the stand-in for one too large to parse (bounded-parser.ts). What any
 * connection may send is bounded before it costs anything: small frames until it authenticates,
 * events no larger than their content limits, packets handled in slices per turn.
 */
export class SocketServer {
  readonly io: Server;
  readonly relay: RoomRelay;
  private readonly handlers: SocketHandlers[] = [];
  private readonly addresses: ClientAddressResolver;
  /** Each authenticated socket's entry in the connection registry (revocation, limits). */
  private readonly registrations = new WeakMap<Socket, LiveRegistration>();
  /** The longest event a client may send (acks may be larger: they carry RPC answers). */
  private readonly maxEventChars: number;
  /** The largest frame an authenticated connection may send. */
  private readonly maxFrameBytes: number;
  private closing = false;

  constructor(
    httpServer: HttpServer,
    private readonly deps: GatewayDeps,
    private readonly liveness: Liveness,
    private readonly rpc: RpcRouter,
    feeds: NamespaceFeeds,
    private readonly connections: ConnectionRegistry,
  ) {
    const { cfg } = deps;
    this.addresses = new ClientAddressResolver(cfg.trustedProxies);
    // Twice the largest content an event may carry (JSON escaping inside a packet), plus room for the rest.
    this.maxEventChars = 2 * Math.max(cfg.content.maxMessageBytes, cfg.content.maxDocumentBytes) + 64 * 1024;
    this.maxFrameBytes = Math.max(cfg.maxBodyBytes, SOCKET_MAX_MESSAGE_BYTES);
    this.io = new Server(httpServer, {
      path: '/socket.io/',
      parser: boundedParser(this.maxEventChars),
      transports: ['websocket', 'polling'],
      // A CLI's RPC ack may carry a file or a generated image (HAPI allows 48 MiB per message);
      // until a connection authenticates its frames are far smaller (frame-limit.ts).
      maxHttpBufferSize: this.maxFrameBytes,
      // A connection that has not authenticated on a namespace within this time is closed.
      connectTimeout: cfg.socketAuthTimeoutMs,
      // While the gateway shuts down, new connections are refused at the transport level: the
      // client takes that as a network error and keeps reconnecting (to the next gateway).
      allowRequest: (req, cb) => cb(null, !this.closing && originAllowed(req.headers.origin, cfg.corsOrigins)),
      cors: { origin: cfg.corsOrigins.includes('*') ? true : cfg.corsOrigins, credentials: false },
    });
    watchSocketConnections(this.io);
    // Until it authenticates, a connection may send small frames only (frame-limit.ts); its
    // packets are handled at most PACKETS_PER_TURN per turn of the event loop (input-pacing.ts).
    this.io.engine.on('connection', (conn: EngineSocketLike & PacedConnection) => {
      limitUntilAuthenticated(conn, cfg.preAuthBodyBytes, this.maxFrameBytes, () => this.oversizedHandshakeRefusal());
      paceInput(conn, PACKETS_PER_TURN);
    });
    // Nothing is served on the main namespace: joining it is refused, so a client that only
    // opens a connection there is closed by the connect timeout instead of staying forever.
    this.io.use((_socket, next) => next(new Error('Invalid namespace')));
    const nsp = this.io.of('/cli');
    this.relay = new RoomRelay(feeds, deps.nc, nsp, deps.replicaId, cfg.liveMaxBufferedBytes, deps.log);
    nsp.use((socket, next) => {
      void this.handshake(socket)
        .then(() => next())
        .catch((err: unknown) => {
          if (err instanceof HandshakeRefused) return next(new Error(err.message));
          // A service the handshake needs is down. A connect_error would be final (Socket.IO
          // clients, the hapi CLI among them, do not retry a refused handshake), so the
          // connection is closed instead: the client sees a transport close and reconnects by
          // itself with its backoff, and gets in once the service is back.
          this.deps.log.warn({ err }, 'socket handshake failed; connection closed so the client retries');
          socket.conn.close();
          next(new Error('Service unavailable'));
        });
    });
    nsp.on('connection', (socket) => this.onConnection(socket));
  }

  /**
   * What a connection is sent when a frame before its authentication is over the limit (the
   * handshake with a huge token or ids): a connect_error on every namespace served, since the
   * frame that would say which one was never read. A client takes it as a final refusal, and
   * ignores those of namespaces it is not joining.
   */
  private oversizedHandshakeRefusal(): string[] {
    const message = `Handshake too large (at most ${this.deps.cfg.preAuthBodyBytes} bytes before authentication)`;
    this.deps.log.info({ limitBytes: this.deps.cfg.preAuthBodyBytes }, 'socket connection refused: frame over the pre-authentication limit');
    const encoder = new Encoder();
    return [...this.io._nsps.keys()].flatMap((nsp) => encoder.encode({ type: PacketType.CONNECT_ERROR, nsp, data: { message } }) as string[]);
  }

  /** Registers a handler module for every socket that connects from now on. */
  use(handlers: SocketHandlers): void {
    this.handlers.push(handlers);
  }

  /**
   * Closes every client connection at the transport level (not a Socket.IO disconnect, which
   * clients take as "the server sent me away" and never reconnect from), so each reconnects by
   * itself; and refuses new connections from now on. For the gateway's shutdown.
   */
  closeTransports(): void {
    this.closing = true;
    this.io.engine.close();
  }

  /**
   * Middleware for a namespace whose own middleware authenticated the socket with a web JWT (the
   * page's `/terminal`, which puts the principal in `socket.data`): the socket is registered with
   * that JWT, so its logout, rotation or expiry closes it like a stream, and its frames may be
   * as large as an authenticated connection's.
   */
  registerWebSocket(socket: Socket, next: (err?: Error) => void): void {
    const p = (socket.data as { principal?: WebPrincipal } | undefined)?.principal;
    if (!p) return next(new Error('Invalid token'));
    let registration: LiveRegistration;
    try {
      registration = this.connections.add('socket', { kind: 'web-jwt', namespace: p.namespace, jti: p.jti, expiresAt: p.exp, issuedMs: p.issuedMs }, (reason) => {
        socket.emit('error', closingNotice(reason));
        socket.disconnect(true);
      });
    } catch (err) {
      return next(new Error(isAppError(err, 'resource_exhausted') || isAppError(err, 'unauthenticated') ? err.message : 'Service unavailable'));
    }
    socket.conn.once('close', () => registration.remove());
    socket.once('disconnect', () => registration.remove());
    liftFrameLimit(socket.conn as unknown as EngineSocketLike, this.maxFrameBytes, this.deps.cfg.preAuthBodyBytes);
    next();
  }

  private async handshake(socket: Socket): Promise<void> {
    const { deps } = this;
    const auth = (socket.handshake.auth ?? {}) as Record<string, unknown>;
    const given = str(auth.token);
    const token = given === undefined ? null : credentialFromJson(given);
    if (!token) throw new HandshakeRefused('Invalid token');
    const requestId = `${socket.id}-0`;
    let ns: Namespace;
    try {
      ns = await deps.auth.resolveAccessToken(token, this.addresses.of(socket.request), 'socket', hubContext(deps.log, requestId));
    } catch (err) {
      throw new HandshakeRefused(isAppError(err, 'resource_exhausted') ? err.message : 'Invalid token');
    }
    const ctx = namespaceContext(deps.log, ns, requestId);
    // The namespace's events are read before the client is told it is connected.
    await this.relay.prepare(ns);
    const data: HandshakeData = { namespace: ns, sessionId: str(auth.sessionId), machineId: str(auth.machineId) };
    if (data.sessionId) data.sessionAccess = await sessionAccess(deps.clients, ctx, data.sessionId);
    if (data.machineId) data.machineAccess = await machineAccess(deps.clients, ctx, data.machineId);
    // Its client may have left while the checks ran: nothing to register then.
    if (socket.conn.readyState !== 'open') throw new HandshakeRefused('Connection closed');
    let registration: LiveRegistration;
    try {
      registration = this.connections.add('socket', { kind: 'access-token', namespace: ns, tokenHash: accessTokenHash(token) }, (reason) => {
        socket.emit('error', closingNotice(reason));
        socket.disconnect(true);
      });
    } catch (err) {
      // Too many sockets, or a revocation of its token landed while the checks above ran.
      if (isAppError(err, 'resource_exhausted') || isAppError(err, 'unauthenticated')) throw new HandshakeRefused(err.message);
      throw err;
    }
    // The socket may never reach `connection` (its client left meanwhile): forget it with its connection.
    socket.conn.once('close', () => registration.remove());
    this.registrations.set(socket, registration);
    liftFrameLimit(socket.conn as unknown as EngineSocketLike, this.maxFrameBytes, deps.cfg.preAuthBodyBytes);
    socket.data = data;
  }

  private onConnection(socket: Socket): void {
    const { deps, relay } = this;
    const hs = socket.data as HandshakeData;
    const ns = hs.namespace;
    const access = new SessionAccessCache(deps.clients);
    if (hs.sessionId && hs.sessionAccess) access.seed(hs.sessionId, hs.sessionAccess);
    const socketLog = deps.log.child({ socket: socket.id });
    let events = 0;
    const call = (): CallContext => namespaceContext(socketLog, ns, `${socket.id}-${++events}`);
    const ctx: SocketContext = {
      socket,
      namespace: ns,
      deps,
      liveness: this.liveness,
      rpc: this.rpc,
      access,
      origin: `${deps.replicaId}/${socket.id}`,
      sessionId: hs.sessionAccess === 'ok' ? hs.sessionId : undefined,
      machineId: hs.machineAccess === 'ok' ? hs.machineId : undefined,
      call,
      emitError: (message, code, scope, id) => socket.emit('error', id === undefined ? { message, code, scope } : { message, code, scope, id }),
      adopt: async (kind, id) => {
        if (kind === 'session' && (ctx.sessionId === id || hs.sessionId !== id)) return ctx.sessionId === id;
        if (kind === 'machine' && (ctx.machineId === id || hs.machineId !== id)) return ctx.machineId === id;
        const found = kind === 'session' ? await access.check(call(), id) : await machineAccess(deps.clients, call(), id);
        if (found !== 'ok') return false;
        if (kind === 'session') ctx.sessionId = id;
        else ctx.machineId = id;
        if (socket.connected) relay.join(socket, ns, kind, id);
        return true;
      },
    };

    // Whatever a socket sends after its credential was revoked is refused, before any handler
    // sees it (the registry disconnects it at once; this covers packets already on the way).
    const registration = this.registrations.get(socket);
    socket.use((_packet, next) => (registration?.revoked ? next(new Error('Credential revoked')) : next()));
    socket.on('error', () => undefined);
    socket.on(OVERSIZED_EVENT, (info: { event?: unknown; chars?: unknown }, ack?: unknown) => {
      const event = typeof info?.event === 'string' ? info.event.slice(0, 64) : 'event';
      const message = `Event ${event} too large (${Number(info?.chars)} characters; at most ${this.maxEventChars})`;
      if (typeof ack === 'function') return void (ack as (res: unknown) => void)({ result: 'error', reason: message });
      ctx.emitError(message, 'limit-exceeded', event.startsWith('machine') ? 'machine' : event.startsWith('rpc') ? 'rpc' : 'session');
    });
    traceSocketEvents(socket);

    boundSocketPayloads(socket, deps.cfg.maxJsonDepth, socketLog);
    for (const attach of this.handlers) attach(ctx);

    // One line per connect and disconnect (the socket's id is in the logger) shows which
    // replica holds which CLI socket.
    socket.on('disconnect', (reason) => {
      registration?.remove();
      this.rpc.dropSocket(socket);
      relay.leaveAll(socket);
      socketLog.info({ ns, reason }, 'cli socket disconnected');
    });
    socketLog.info({ ns, sessionId: hs.sessionId, machineId: hs.machineId }, 'cli socket connected');

    if (hs.sessionId) {
      if (ctx.sessionId) relay.join(socket, ns, 'session', ctx.sessionId);
      else ctx.emitError(hs.sessionAccess === 'access-denied' ? 'session access denied' : 'session not found', hs.sessionAccess === 'access-denied' ? 'access-denied' : 'not-found', 'session', hs.sessionId);
    }
    if (hs.machineId) {
      if (ctx.machineId) relay.join(socket, ns, 'machine', ctx.machineId);
      else ctx.emitError(hs.machineAccess === 'access-denied' ? 'machine access denied' : 'machine not found', hs.machineAccess === 'access-denied' ? 'access-denied' : 'not-found', 'machine', hs.machineId);
    }
  }
}

/** A handshake refused with a text the client is shown (not a dependency failure). */
class HandshakeRefused extends Error {}
