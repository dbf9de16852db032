import { io, type Socket } from 'socket.io-client';
import { waitFor } from './ports.js';

export interface CliSocket {
  socket: Socket;
  /** Every event received, in order: [name, ...args]. */
  received: Array<{ event: string; args: unknown[] }>;
  /** Waits for an event matching `pred` (already received ones count) and returns its first arg. */
  waitEvent(event: string, pred?: (arg: any) => boolean, timeoutMs?: number): Promise<any>;
  /** All first args of `event` received so far. */
  events(event: string): any[];
  ack(event: string, payload?: unknown, timeoutMs?: number): Promise<any>;
  close(): void;
}

/**
 * A `/cli` socket the way the hapi CLI opens it (websocket only, `auth:{token, clientType,
 * sessionId|machineId}`); resolves once connected, rejects with the connect_error.
 */
export function connectCli(url: string, token: string, scope: { sessionId?: string; machineId?: string } = {}, opts: { origin?: string } = {}): Promise<CliSocket> {
  const auth: Record<string, unknown> = { token, clientType: scope.machineId ? 'machine-scoped' : 'session-scoped' };
  if (scope.sessionId) auth.sessionId = scope.sessionId;
  if (scope.machineId) auth.machineId = scope.machineId;
  const socket = io(`${url}/cli`, {
    path: '/socket.io/',
    transports: ['websocket'],
    auth,
    reconnection: false,
    forceNew: true,
    extraHeaders: opts.origin ? { origin: opts.origin } : undefined,
  });
  const received: CliSocket['received'] = [];
  socket.onAny((event: string, ...args: unknown[]) => received.push({ event, args }));
  const handle: CliSocket = {
    socket,
    received,
    events: (event) => received.filter((r) => r.event === event).map((r) => r.args[0]),
    waitEvent: (event, pred = () => true, timeoutMs = 5000) =>
      waitFor(() => received.find((r) => r.event === event && pred(r.args[0]))?.args[0] ?? null, { timeoutMs, what: `socket event ${event}` }) as Promise<any>,
    ack: (event, payload, timeoutMs = 5000) => (payload === undefined ? socket.timeout(timeoutMs).emitWithAck(event) : socket.timeout(timeoutMs).emitWithAck(event, payload)),
    close: () => socket.close(),
  };
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(handle));
    socket.once('connect_error', (err) => {
      socket.close();
      reject(err);
    });
  });
}
