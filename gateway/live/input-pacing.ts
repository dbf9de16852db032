/**
 * Takes a connection's incoming packets in slices. Node reads a socket's buffered bytes in one go,
 * and Socket.IO handles every packet of them before anything else runs: 20,000 small events sent
 * at once would hold the gateway for every other namespace for a second or more. After
 * `perTurn` packets in one turn of the event loop, the connection's socket is paused and resumed
 * on the next turn, so other clients' requests are served in between; a well-behaved client never
 * sends that many at once and is never paused.
 *
 * Only the websocket transport can pause mid-stream; the polling transport's bodies are small
 * (its frame limit stays at the pre-authentication size, see frame-limit.ts).
 */

interface PausableTransport {
  socket?: { pause?: () => void; resume?: () => void };
}

export interface PacedConnection {
  transport: PausableTransport;
  on(event: 'packet', fn: () => void): unknown;
}

export function paceInput(conn: PacedConnection, perTurn: number): void {
  let count = 0;
  let paused: PausableTransport['socket'] | null = null;
  conn.on('packet', () => {
    if (count === 0) {
      setImmediate(() => {
        count = 0;
        const p = paused;
        paused = null;
        p?.resume?.();
      });
    }
    count++;
    if (count === perTurn && !paused) {
      const ws = conn.transport?.socket;
      if (typeof ws?.pause === 'function' && typeof ws.resume === 'function') {
        ws.pause();
        paused = ws;
      }
    }
  });
}
