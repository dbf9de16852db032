import type { Server as HttpServer } from 'node:http';
import type { Namespace as IoNamespace } from 'socket.io';
import type { Namespace } from '../../lib/namespace.js';
import type { GatewayDeps } from '../deps.js';
import { ConnectionRegistry } from './connections.js';
import { Liveness } from './liveness.js';
import { liveEffects, markDeadInactive } from './liveness-effects.js';
import { ReplicaLeases } from './replica-leases.js';
import { askRoom, type RoomAnswer } from './room-ask.js';
import { RpcBlobs } from '../../lib/rpc/rpc-blobs.js';
import { RpcRouter } from './rpc-router.js';
import { SocketServer } from './socket-server.js';
import { EventStreams, eventsJetStream } from '../../lib/events/stream.js';
import { NamespaceFeeds } from './namespace-feeds.js';
import { terminalNamespace } from './terminal-namespace.js';
import { TerminalRelay } from './terminal-relay.js';
import { EventIdCodec } from './sse/event-id.js';
import { SseHub } from './sse/sse-hub.js';
import { SseStreamRegistry } from './sse/stream-registry.js';
import { toastSyncEvent } from '../hapi/toast-view.js';

/**
 * The live infrastructure of one gateway replica: the Socket.IO `/cli` server and its room relay,
 * routed RPC to sockets on any replica (large payloads through the payload object store), the
 * `/terminal` namespace and its relay to CLI sockets on any replica, liveness with replica
 * leases, and the SSE hub over the event stream. It registers no route and handles no socket event itself: the route registry
 * (routes/index.ts) gives these parts to the route and socket handler modules.
 */
export interface Live {
  /** Every socket and SSE stream of this replica with the credential that opened it. */
  connections: ConnectionRegistry;
  sockets: SocketServer;
  sse: SseHub;
  /** Every replica's SSE streams and their page visibility (toasts, `POST /api/visibility`). */
  streams: SseStreamRegistry;
  liveness: Liveness;
  rpc: RpcRouter;
  /** The `/terminal` namespace (page sockets, web JWT) and the web terminal relay to CLI sockets on any replica. */
  terminalSockets: IoNamespace;
  terminals: TerminalRelay;
  /**
   * Calls `<scopeId>:<method>` on whichever replica's socket registered it, in `ns`. Resolves with
   * the socket's ack parsed from JSON; rejects with AppError('unavailable', ..., {details:{code:'rpc_target_missing'}})
   * when no socket holds it, or a timeout error.
   */
  rpcCall(ns: Namespace, scopeId: string, method: string, params: unknown, timeoutMs?: number): Promise<unknown>;
  /**
   * Sends `update` (a whole HAPI update envelope) to every CLI socket of a session's room, on any
   * replica, and collects their acks within `timeoutMs` (room-ask.ts); `null` only counts them.
   */
  askSessionRoom(ns: Namespace, sessionId: string, update: unknown, timeoutMs: number): Promise<RoomAnswer>;
  /** Is this machine online (a machine-alive within the window, on any replica)? */
  isMachineOnline(ns: Namespace, machineId: string): Promise<boolean>;
  close(): Promise<void>;
}

/** Starts the live parts on `httpServer` (the app's, before it listens). */
export async function startLive(httpServer: HttpServer, deps: GatewayDeps): Promise<Live> {
  const { cfg, log } = deps;
  let leases: ReplicaLeases | undefined;
  const liveness = new Liveness({
    sessionTimeoutMs: cfg.sessionTimeoutMs,
    machineTimeoutMs: cfg.machineTimeoutMs,
    effects: liveEffects(deps.clients, () => leases!, log),
    log,
  });
  leases = await ReplicaLeases.start(deps.nc, deps.replicaId, cfg.replicaLeaseMs, markDeadInactive(deps.clients, log), log, { replicas: cfg.natsReplicas });
  const connections = new ConnectionRegistry(
    {
      socket: { perCredential: cfg.limits.socketsPerCredential, perNamespace: cfg.limits.socketsPerNamespace },
      sse: { perCredential: cfg.limits.sseStreamsPerCredential, perNamespace: cfg.limits.sseStreamsPerNamespace },
    },
    log,
  );
  // A revocation this replica hears closes what it covers; after a full refresh of the list,
  // every connection is checked again (covers an event missed while NATS was away).
  const unwatch = deps.auth.watchRevocations?.((notice) => {
    if (notice) connections.revoke(notice);
    else {
      connections.sweep((c, openedAt) =>
        c.kind === 'web-jwt' ? deps.auth.isWebTokenRevoked?.(c) === true : deps.auth.isAccessTokenRevoked?.({ ...c, openedAt }) === true,
      );
    }
  });
  // Each namespace's events are read only while this replica has an SSE stream or socket in it.
  const streams = await EventStreams.open(deps.nc, cfg, log);
  const feeds = new NamespaceFeeds(deps.nc, eventsJetStream(deps.nc), streams, log);
  const sse = new SseHub({ feeds, streams, codec: new EventIdCodec(cfg.internalSecret), heartbeatMs: cfg.sseHeartbeatMs, maxBufferedBytes: cfg.liveMaxBufferedBytes, log, connections });
  // Entries live as long as a replica lease: a dead replica's streams vanish with its lease.
  const streamRegistry = await SseStreamRegistry.start(deps.nc, deps.replicaId, cfg.replicaLeaseMs, (ns, ids, toast) => sse.sendToStreams(ns, ids, toastSyncEvent(ns, toast)), log, {
    replicas: cfg.natsReplicas,
  });
  sse.useDirectory(streamRegistry);
  const rpc = new RpcRouter(deps.nc, log, cfg.rpcTimeoutMs, await RpcBlobs.open(deps.nc, { replicas: cfg.natsReplicas }), cfg.limits.rpcMethodsPerSocket);
  const sockets = new SocketServer(httpServer, deps, liveness, rpc, feeds, connections);
  const terminalSockets = terminalNamespace(sockets.io, deps);
  terminalSockets.use((socket, next) => sockets.registerWebSocket(socket, next));
  const terminals = new TerminalRelay(deps.nc, terminalSockets, deps.replicaId, { maxTerminals: cfg.terminalMaxTerminals, idleTimeoutMs: cfg.terminalIdleTimeoutMs }, log);

  const sweep = setInterval(() => liveness.sweep(), cfg.sweepIntervalMs);
  sweep.unref();

  return {
    connections,
    sockets,
    sse,
    streams: streamRegistry,
    liveness,
    rpc,
    terminalSockets,
    terminals,
    rpcCall: (ns, scopeId, method, params, timeoutMs) => rpc.call(ns, scopeId, method, params, timeoutMs),
    askSessionRoom: (ns, sessionId, update, timeoutMs) => askRoom(deps.nc, ns, sessionId, update, timeoutMs, log),
    async isMachineOnline(ns, machineId) {
      if (liveness.isActiveHere('machine', ns, machineId)) return true;
      return leases!.isLive('machine', ns, machineId);
    },
    async close() {
      clearInterval(sweep);
      unwatch?.();
      // The sockets' transports are closed, never `disconnectSockets(true)`: clients receive that
      // as `io server disconnect` and, by Socket.IO's design, do not reconnect (the hapi CLI only
      // logs it). After a transport close they reconnect by themselves, to this gateway once it
      // is back or to another replica. Not io.close(): that would close the app's HTTP server.
      // The /terminal namespace shares the engine, so its sockets' transports close with it.
      terminals.close();
      sockets.closeTransports();
      await feeds.close();
      await streamRegistry.close();
      await liveness.settled();
      await leases!.close();
    },
  };
}
