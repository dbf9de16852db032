import type { Socket } from 'socket.io';

/** The parts of engine.io's connection this reads: its packet queue and, for WebSocket, the ws. */
interface EngineConnection {
  writeBuffer?: Array<{ data?: unknown }>;
  transport?: { socket?: { bufferedAmount?: number; terminate?: () => void } };
  close(discard?: boolean): void;
}

const sizeOf = (data: unknown): number => (typeof data === 'string' ? data.length : data instanceof ArrayBuffer || ArrayBuffer.isView(data) ? data.byteLength : 0);

/**
 * Bytes sent to a socket that have not reached the network yet: packets engine.io holds while
 * the transport is busy, plus what the WebSocket still has queued. Socket.IO itself never bounds
 * this, so a client that stops reading would hold every event sent to it.
 */
export function bufferedBytes(socket: Socket): number {
  const conn = socket.conn as unknown as EngineConnection;
  let n = conn.transport?.socket?.bufferedAmount ?? 0;
  for (const p of conn.writeBuffer ?? []) n += sizeOf(p.data);
  return n;
}

/**
 * Drops a socket's connection without a Socket.IO disconnect packet, discarding what it still had
 * queued: the client sees its transport close and reconnects by itself (a server `disconnect`
 * would tell it not to).
 */
export function dropSlowSocket(socket: Socket): void {
  const conn = socket.conn as unknown as EngineConnection;
  const ws = conn.transport?.socket;
  conn.close(true);
  ws?.terminate?.();
}
