// The `/cli` Socket.IO connection (HAPI handshake), RPC handlers re-registered on every connect,
// and the compare-and-swap loop used for agentState / runnerState updates.
import { io, type Socket } from 'socket.io-client';
import { fileURLToPath } from 'node:url';

/** Path of the `teamhub` entry shim, used to start child teamhub processes. */
export const TEAMHUB_SHIM = fileURLToPath(new URL('./bin/teamhub.js', import.meta.url));

export type CliSocketAuth =
  | { token: string; clientType: 'machine-scoped'; machineId: string }
  | { token: string; clientType: 'session-scoped'; sessionId: string };

/** Connects to `<url>/cli`, reconnecting forever (also after the server refuses a handshake). */
export function openCliSocket(apiUrl: string, auth: CliSocketAuth, log: (msg: string) => void): Socket {
  const socket = io(`${apiUrl}/cli`, {
    path: '/socket.io/',
    transports: ['websocket'],
    auth,
    reconnection: true,
    reconnectionDelay: 500,
    reconnectionDelayMax: 5000,
  });
  socket.on('connect_error', (err) => {
    log(`hub connection failed: ${err.message}`);
    // A refused handshake (e.g. a hub restarting) stops socket.io's own retries; keep trying.
    if (!socket.active) setTimeout(() => socket.connect(), 3000).unref();
  });
  socket.on('disconnect', (reason) => reason !== 'io client disconnect' && log(`hub connection lost (${reason})`));
  socket.on('error', (payload: unknown) => log(`hub error: ${JSON.stringify(payload)}`));
  return socket;
}

export type RpcHandler = (params: Record<string, unknown>) => unknown;

/** Handlers for `<scopeId>:<method>` RPCs: registered on every connect, acked with a JSON string. */
export class RpcRegistry {
  private readonly handlers = new Map<string, RpcHandler>();

  constructor(
    private readonly socket: Socket,
    private readonly scopeId: string,
  ) {
    socket.on('connect', () => this.registerAll());
    socket.on('rpc-request', (req: { method?: string; params?: unknown }, ack?: (res: string) => void) => {
      void this.dispatch(req).then((res) => ack?.(res));
    });
  }

  add(method: string, handler: RpcHandler): void {
    this.handlers.set(`${this.scopeId}:${method}`, handler);
    if (this.socket.connected) this.socket.emit('rpc-register', { method: `${this.scopeId}:${method}` });
  }

  private registerAll(): void {
    for (const method of this.handlers.keys()) this.socket.emit('rpc-register', { method });
  }

  private async dispatch(req: { method?: string; params?: unknown }): Promise<string> {
    const handler = typeof req?.method === 'string' ? this.handlers.get(req.method) : undefined;
    if (!handler) return JSON.stringify({ error: `Method not found: ${String(req?.method)}` });
    try {
      let params: unknown = req.params ?? {};
      if (typeof params === 'string') params = params ? JSON.parse(params) : {};
      const obj = params && typeof params === 'object' ? (params as Record<string, unknown>) : {};
      return JSON.stringify((await handler(obj)) ?? null);
    } catch (err) {
      return JSON.stringify({ error: err instanceof Error ? err.message : String(err) });
    }
  }
}

export interface Versioned<T> {
  version: number;
  value: T;
}

interface CasAck {
  result?: string;
  version?: number;
  reason?: string;
  [key: string]: unknown;
}

/**
 * Applies `mutate` to the current value and sends it with `expectedVersion`; on `version-mismatch`
 * adopts the hub's version and value and tries again. Updates `state` on success.
 */
export async function casUpdate<T>(
  socket: Socket,
  event: 'update-state' | 'machine-update-state',
  target: { sid: string } | { machineId: string },
  field: 'agentState' | 'runnerState',
  state: Versioned<T>,
  mutate: (current: T) => T,
  timeoutMs = 10_000,
): Promise<void> {
  for (let attempt = 0; attempt < 8; attempt++) {
    const next = mutate(structuredClone(state.value));
    const ack = (await socket
      .timeout(timeoutMs)
      .emitWithAck(event, { ...target, expectedVersion: state.version, [field]: next })) as CasAck;
    if (ack?.result === 'success') {
      state.version = typeof ack.version === 'number' ? ack.version : state.version + 1;
      state.value = (ack[field] as T | undefined) ?? next;
      return;
    }
    if (ack?.result === 'version-mismatch' && typeof ack.version === 'number') {
      state.version = ack.version;
      if (field in ack) state.value = ack[field] as T;
      continue;
    }
    throw new Error(`${event} refused: ${ack?.reason ?? JSON.stringify(ack)}`);
  }
  throw new Error(`${event}: too many version conflicts`);
}
