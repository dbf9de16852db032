import type { Server, Socket } from 'socket.io';
import { hubMetrics } from '../../lib/metrics/registry.js';
import { endSpan, REQUEST_ID_ATTRIBUTE, runWith, SpanKind, startSpan, tracingOn } from '../../lib/tracing/tracer.js';

/** `teamhub_socket_connections{nsp}`: open Socket.IO connections per Socket.IO namespace (`/cli`, …), read at scrape time. */
export function watchSocketConnections(io: Server): void {
  hubMetrics().gauge(
    'teamhub_socket_connections',
    'Socket.IO connections open on this gateway, by Socket.IO namespace (/cli, /terminal)',
    () => {
      const out: Record<string, number> = {};
      // Only namespaces the gateway created are in the map (a client cannot add one), so the label is bounded.
      for (const [name, nsp] of (io as unknown as { _nsps: Map<string, { sockets: Map<string, unknown> }> })._nsps) out[name] = nsp.sockets.size;
      return out;
    },
    'nsp',
  );
}

/**
 * With tracing on, each event a socket sends is a server span (the socket edge of a trace),
 * active while its handler runs, ended when the handler acks (or at once for an event without
 * an ack). The span name is the event's only when a handler listens for it, so a client cannot
 * make up span names; the request id is the socket's `<socket>-<n>` sequence.
 */
export function traceSocketEvents(socket: Socket): void {
  if (!tracingOn()) return;
  let n = 0;
  socket.use((packet, next) => {
    const event = typeof packet[0] === 'string' && socket.listeners(packet[0]).length > 0 ? packet[0] : 'unhandled';
    const { span, ctx } = startSpan(`socket ${event}`, SpanKind.SERVER, { 'messaging.system': 'socket.io', [REQUEST_ID_ATTRIBUTE]: `${socket.id}-e${++n}` });
    const last = packet.length - 1;
    const ack = packet[last];
    if (last > 0 && typeof ack === 'function') {
      packet[last] = (...args: unknown[]) => {
        endSpan(span);
        (ack as (...a: unknown[]) => void)(...args);
      };
    } else {
      setImmediate(() => endSpan(span));
    }
    runWith(ctx, () => next());
  });
}
