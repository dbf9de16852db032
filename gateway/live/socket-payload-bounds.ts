import type { Socket } from 'socket.io';
import { jsonDepth } from '../../lib/json.js';
import type { Logger } from '../../lib/logger.js';

/**
 * The depth bound on client JSON for socket events, as the body parser has it for HTTP: a
 * payload nested deeper than `maxDepth` (Socket.IO's parser, JSON.parse, takes any depth) never
 * reaches a handler, whose JSON.stringify would overflow the stack. The event is refused with an
 * error ack when it has a callback (`{result:'error', reason:'invalid', message}`, the shape the
 * CAS events use), else with the socket `error` event. Size is bounded before this, by
 * Socket.IO's `maxHttpBufferSize` (the body limit): a larger packet closes the connection.
 */
export function boundSocketPayloads(socket: Socket, maxDepth: number, log: Logger): void {
  socket.use((packet: [string, ...unknown[]], next: (err?: Error) => void) => {
    const [event, ...args] = packet;
    const ack = typeof args[args.length - 1] === 'function' ? (args[args.length - 1] as (res: unknown) => void) : undefined;
    const payload = ack ? args.slice(0, -1) : args;
    if (!payload.some((arg) => jsonDepth(arg, maxDepth) > maxDepth)) return next();
    const message = `Invalid payload: JSON nested deeper than ${maxDepth} levels`;
    log.info({ socket: socket.id, event: String(event).slice(0, 64) }, 'socket event refused: payload too deep');
    if (ack) ack({ result: 'error', reason: 'invalid', message });
    else socket.emit('error', { message, code: 'invalid' });
  });
}
