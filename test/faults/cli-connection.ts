import { io, type Socket } from 'socket.io-client';

export type EmitResult = { kind: 'ack'; ack: unknown } | { kind: 'cut-off' } | { kind: 'timeout' };

/**
 * A session's CLI socket opened the way the hapi CLI opens it (websocket, reconnecting forever
 * with a 1 s → 5 s backoff, `session-alive` on every connect and every 2 s), recording when it
 * connected and disconnected and why. An emit made while connected whose connection then drops
 * is answered `cut-off` at once (its ack can never come: acks belong to the connection); one made
 * while disconnected waits in Socket.IO's buffer and is sent once reconnected.
 */
export class CliConnection {
  readonly socket: Socket;
  readonly connects: number[] = [];
  readonly disconnects: Array<{ at: number; reason: string }> = [];
  private readonly onConnection = new Map<number, Set<(r: EmitResult) => void>>();
  private connection = 0;
  private readonly heartbeat: NodeJS.Timeout;

  constructor(url: string, token: string, readonly sessionId: string) {
    this.socket = io(`${url}/cli`, {
      path: '/socket.io/',
      transports: ['websocket'],
      auth: { token, clientType: 'session-scoped', sessionId },
      reconnection: true,
      reconnectionAttempts: Infinity,
      reconnectionDelay: 1000,
      reconnectionDelayMax: 5000,
      forceNew: true,
    });
    this.socket.on('connect', () => {
      this.connection += 1;
      this.connects.push(Date.now());
      this.alive();
    });
    this.socket.on('disconnect', (reason) => {
      this.disconnects.push({ at: Date.now(), reason });
      const cut = this.onConnection.get(this.connection);
      this.onConnection.delete(this.connection);
      for (const settle of cut ?? []) settle({ kind: 'cut-off' });
    });
    this.heartbeat = setInterval(() => this.alive(), 2000);
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  private alive(): void {
    if (this.socket.connected) this.socket.emit('session-alive', { sid: this.sessionId, time: Date.now(), thinking: false });
  }

  emit(event: string, payload: unknown, timeoutMs: number): Promise<EmitResult> {
    return new Promise((resolve) => {
      let done = false;
      const settle = (r: EmitResult) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        waiting?.delete(settle);
        resolve(r);
      };
      const timer = setTimeout(() => settle({ kind: 'timeout' }), timeoutMs);
      let waiting: Set<(r: EmitResult) => void> | undefined;
      if (this.socket.connected) {
        waiting = this.onConnection.get(this.connection) ?? new Set();
        this.onConnection.set(this.connection, waiting);
        waiting.add(settle);
      }
      this.socket.emit(event, payload, (ack: unknown) => settle({ kind: 'ack', ack }));
    });
  }

  close(): void {
    clearInterval(this.heartbeat);
    this.socket.close();
  }
}
