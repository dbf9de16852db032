import { io, type Socket } from 'socket.io-client';
import { Decoder, Encoder, PacketType } from 'socket.io-parser';

/** An event argument sent as this JSON text, byte for byte (a value 100,000 deep cannot be JSON.stringify'd). */
export class RawJson {
  constructor(readonly text: string) {}
}

/**
 * Socket.IO's packet encoder, except that a `RawJson` argument is written as its text: the
 * socket then sends what a hostile client would, while acks and everything else stay the
 * library's (a custom parser is a documented socket.io-client option).
 */
class RawAwareEncoder extends Encoder {
  override encode(obj: { type: PacketType; nsp: string; id?: number; data?: unknown }) {
    if (obj.type === PacketType.CONNECT && obj.data instanceof RawJson) return [`${obj.type}${obj.nsp && obj.nsp !== '/' ? `${obj.nsp},` : ''}${obj.data.text}`];
    if (obj.type !== PacketType.EVENT || !Array.isArray(obj.data) || !obj.data.some((a) => a instanceof RawJson)) return super.encode(obj as never);
    let str = String(obj.type);
    if (obj.nsp && obj.nsp !== '/') str += `${obj.nsp},`;
    if (obj.id !== undefined && obj.id !== null) str += obj.id;
    str += `[${obj.data.map((a) => (a instanceof RawJson ? a.text : JSON.stringify(a))).join(',')}]`;
    return [str];
  }
}

const rawParser = { Encoder: RawAwareEncoder, Decoder, protocol: 5 };

/** How a raw handshake ended. */
export interface RawConnectOutcome {
  socket: Socket;
  /** The connect_error's message, when refused. */
  refused?: string;
  /** After a refusal: whether the client would still try again (`socket.active`; false means final). */
  retries?: boolean;
  /** Why its connection closed before either a connection or a refusal: nothing a client can show. */
  closed?: string;
}

/**
 * A `/cli` socket that can send raw JSON arguments (and a raw `auth` object); resolves connected,
 * refused (the connect_error's message) or closed. `reconnection` as the hapi CLI has it (on)
 * shows whether a refusal is final.
 */
export function connectRawCli(url: string, auth: unknown, timeoutMs = 5000, opts: { reconnection?: boolean } = {}): Promise<RawConnectOutcome> {
  const socket = io(`${url}/cli`, {
    path: '/socket.io/',
    transports: ['websocket'],
    auth: auth as Record<string, unknown>,
    reconnection: opts.reconnection ?? false,
    forceNew: true,
    parser: rawParser as never,
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error(`neither connected nor refused within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve({ socket });
    });
    socket.once('connect_error', (err) => {
      clearTimeout(timer);
      const retries = socket.active;
      socket.close();
      resolve({ socket, refused: err.message, retries });
    });
    // The client closes its own connection on a refusal ("forced close") before it reports the reason.
    socket.io.on('close', (reason) => {
      if (reason === 'forced close') return;
      clearTimeout(timer);
      socket.close();
      resolve({ socket, closed: reason });
    });
  });
}
