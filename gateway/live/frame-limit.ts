/**
 * Engine.IO applies one frame limit (`maxHttpBufferSize`) to every connection, authenticated or
 * not, so anyone who can reach the port could make the gateway buffer a full-size frame before
 * saying who they are. These helpers give a connection a small limit until one of its Socket.IO
 * namespaces authenticates, then the full one.
 *
 * They set the limit where Engine.IO's transports read it per connection: the polling transport's
 * `maxHttpBufferSize` and the `ws` receiver's `_maxPayload` (checked against a frame's declared
 * length before the payload is buffered). A test sends an oversized handshake and expects its
 * refusal, so a library change that moves either is noticed.
 *
 * A frame over the limit ends the connection: `ws` closes a websocket with 1009 (message too big),
 * the polling transport answers the POST 413. Socket.IO clients report the failed POST as a
 * connect_error, but a websocket closed before the handshake's answer only as a transport close,
 * which a client takes as a network fault: it retries forever (the hapi CLI does) or, without
 * reconnection, waits for an answer that never comes. So before `ws` sends its close, the
 * connection is sent the refusal given to `limitUntilAuthenticated` (a Socket.IO connect_error),
 * which clients take as final.
 */

interface ReceiverLike {
  _maxPayload?: number;
  prependListener?: (event: 'error', fn: (err: { code?: unknown } | undefined) => void) => unknown;
}

interface TransportLike {
  maxHttpBufferSize?: number;
  socket?: { _receiver?: ReceiverLike };
  /** Engine.IO's transport write: sends these packets on this transport at once. */
  send?: (packets: Array<{ type: 'message'; data: string }>) => void;
}

export interface EngineSocketLike {
  transport: TransportLike;
  on(event: 'upgrade', fn: (transport: TransportLike) => void): unknown;
}

/** The Engine.IO message payloads sent to a connection whose frame went over the pre-authentication limit. */
export type OversizedRefusal = () => string[];

const AUTHENTICATED = Symbol('teamhub.authenticated');
const REFUSAL_HOOKED = Symbol('teamhub.refusalHooked');
type Marked = EngineSocketLike & { [AUTHENTICATED]?: boolean };

/** `ws`'s error code for a frame over `_maxPayload` (it closes the connection with 1009 next). */
const WS_FRAME_TOO_LARGE = 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH';

function apply(transport: TransportLike | undefined, bytes: number): void {
  if (!transport) return;
  if (typeof transport.maxHttpBufferSize === 'number') transport.maxHttpBufferSize = bytes;
  const receiver = transport.socket?._receiver;
  if (receiver && typeof receiver._maxPayload === 'number') receiver._maxPayload = bytes;
}

/**
 * Sends `refusal` when the websocket's receiver refuses a frame for its size while the
 * connection has not authenticated. The listener runs before `ws`'s own (which sends the close
 * frame), so the refusal reaches the client first.
 */
function refuseOversized(conn: Marked, transport: TransportLike | undefined, refusal: OversizedRefusal): void {
  const receiver = transport?.socket?._receiver as (ReceiverLike & { [REFUSAL_HOOKED]?: boolean }) | undefined;
  if (!receiver || typeof receiver.prependListener !== 'function' || typeof transport?.send !== 'function' || receiver[REFUSAL_HOOKED]) return;
  receiver[REFUSAL_HOOKED] = true;
  receiver.prependListener('error', (err) => {
    if (err?.code !== WS_FRAME_TOO_LARGE || conn[AUTHENTICATED]) return;
    transport.send?.(refusal().map((data) => ({ type: 'message' as const, data })));
  });
}

/**
 * Gives a fresh Engine.IO connection the pre-authentication limit (also after a transport
 * upgrade); a websocket frame over it gets `refusal` before the connection closes.
 */
export function limitUntilAuthenticated(conn: EngineSocketLike, preAuthBytes: number, fullBytes: number, refusal: OversizedRefusal): void {
  const marked = conn as Marked;
  apply(conn.transport, preAuthBytes);
  refuseOversized(marked, conn.transport, refusal);
  conn.on('upgrade', (transport) => {
    apply(transport, marked[AUTHENTICATED] && transport.socket ? fullBytes : preAuthBytes);
    refuseOversized(marked, transport, refusal);
  });
}

/**
 * The connection authenticated: websocket frames up to the full limit from now on (a CLI's RPC
 * answers can be large). A polling body keeps the small limit: it is decoded in one piece, so a
 * large one could hold any number of packets, and no client that polls sends large ones (the CLI
 * and the runner use websocket only).
 */
export function liftFrameLimit(conn: EngineSocketLike, fullBytes: number, preAuthBytes: number): void {
  (conn as Marked)[AUTHENTICATED] = true;
  apply(conn.transport, conn.transport.socket ? fullBytes : preAuthBytes);
}
