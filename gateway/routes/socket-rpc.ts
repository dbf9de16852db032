import { isAppError } from '../../lib/errors.js';
import type { SocketContext } from '../live/socket-context.js';

/**
 * `rpc-register` / `rpc-unregister`: a socket may only register `<own sessionId>:<method>` or
 * `<own machineId>:<method>` (its handshake's, once that id is found in its namespace). HAPI lets a
 * socket register any method of its namespace; we narrow it so one CLI cannot answer another's
 * calls (a permission approval meant for session A must reach session A's CLI).
 */
/** Refused registrations answered one by one on a socket; past this, one last notice and silence. */
export const MAX_REPORTED_REFUSALS = 100;

export function attachRpcHandlers(ctx: SocketContext): void {
  const hs = ctx.socket.data as { sessionId?: string; machineId?: string };
  const scopeOf = async (method: string): Promise<{ scopeId: string; name: string } | null> => {
    for (const [kind, scopeId] of [['session', hs.sessionId], ['machine', hs.machineId]] as const) {
      if (!scopeId || !method.startsWith(`${scopeId}:`) || method.length <= scopeId.length + 1) continue;
      if (await ctx.adopt(kind, scopeId)) return { scopeId, name: method.slice(scopeId.length + 1) };
    }
    return null;
  };
  // Methods registered or waiting in the chain: counted when they arrive, so the chain (and the
  // work one socket can queue) never holds more than the limit, however fast registrations come.
  const limit = ctx.deps.cfg.limits.rpcMethodsPerSocket;
  const held = new Set<string>();
  let refusals = 0;
  const refuse = (method: string) => {
    refusals++;
    const message = `Too many RPC methods registered on this socket (at most ${limit})`;
    // Each refusal is answered, up to a bound: a flood must not get a flood of answers back.
    if (refusals <= MAX_REPORTED_REFUSALS) ctx.emitError(message, 'limit-exceeded', 'rpc', method);
    else if (refusals === MAX_REPORTED_REFUSALS + 1) ctx.emitError(`${message}; further refusals are not reported`, 'limit-exceeded', 'rpc');
    if (refusals === 1) ctx.deps.log.warn({ ns: ctx.namespace, socket: ctx.socket.id, limit }, 'rpc-register refused: socket holds its limit of methods');
  };
  // Registrations are applied in arrival order even though the scope check may be async.
  let chain = Promise.resolve();
  ctx.socket.on('rpc-register', (data: unknown) => {
    const method = typeof data === 'object' && data !== null ? (data as { method?: unknown }).method : undefined;
    if (typeof method !== 'string' || method.length === 0) return;
    if (!held.has(method) && held.size >= limit) return refuse(method);
    held.add(method);
    chain = chain
      .then(async () => {
        const target = await scopeOf(method);
        if (!target) {
          held.delete(method);
          return ctx.emitError('rpc method not allowed', 'access-denied', 'rpc', method);
        }
        if (!ctx.socket.connected) return;
        try {
          ctx.rpc.register(ctx.socket, ctx.namespace, target.scopeId, target.name);
        } catch (err) {
          held.delete(method);
          if (!isAppError(err, 'resource_exhausted')) throw err;
          ctx.emitError(err.message, 'limit-exceeded', 'rpc', method);
        }
      })
      .catch((err: unknown) => ctx.deps.log.warn({ err, socket: ctx.socket.id }, 'rpc-register failed'));
  });
  ctx.socket.on('rpc-unregister', (data: unknown) => {
    const method = typeof data === 'object' && data !== null ? (data as { method?: unknown }).method : undefined;
    if (typeof method !== 'string') return;
    held.delete(method);
    chain = chain.then(() => ctx.rpc.unregister(ctx.socket, ctx.namespace, method));
  });
}
