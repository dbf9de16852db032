import type { SocketContext } from './socket-context.js';

/**
 * Machine-scoped socket events (machine-alive, machine-update-state, machine-update-metadata).
 * Called by the socket server for every authenticated `/cli` socket. (Stub until the machines
 * module lands.)
 */
export function attachMachineHandlers(_ctx: SocketContext): void {}
