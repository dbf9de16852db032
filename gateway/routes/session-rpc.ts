import { isAppError } from '../../lib/errors.js';
import type { CallContext } from '../../lib/context.js';
import type { Live } from '../live/index.js';
import { isRpcTargetMissing } from './machine-spawn.js';

/** HAPI's ack timeouts: most calls 30 s, model catalogs and history actions 120 s, a Codex plan 60 s. */
export const RPC_TIMEOUT = { default: 30_000, modelList: 120_000, history: 120_000, plan: 60_000 } as const;

/**
 * Calls `<sessionId>:<method>` on the CLI socket that registered it in the caller's namespace
 * (on any gateway replica). The router only delivers to a socket registered for that session in
 * that namespace, so a session id of another namespace never reaches anyone's CLI.
 */
export function callSession(live: Pick<Live, 'rpcCall'>, ctx: CallContext, sessionId: string, method: string, params: unknown, timeoutMs: number = RPC_TIMEOUT.default): Promise<unknown> {
  return live.rpcCall(ctx.namespace, sessionId, method, params, timeoutMs);
}

/**
 * The text HAPI puts in `{success:false, error}` when a relayed call fails: its registry's
 * "RPC handler not registered: <id>:<method>" when no socket holds the method, socket.io's
 * "operation has timed out" when the CLI did not ack in time.
 */
export function rpcFailureText(err: unknown, scopeId: string, method: string): string {
  if (isRpcTargetMissing(err)) return `RPC handler not registered: ${scopeId}:${method}`;
  if (isAppError(err, 'deadline_exceeded')) return 'operation has timed out';
  if (isAppError(err) && err.code !== 'internal') return err.message;
  return 'RPC call failed';
}

/**
 * HAPI's `runRpc`: the CLI's answer, or `{success:false, error}` when the call failed. The web
 * shows the error text; the HTTP status stays 200.
 */
export async function relayOrFailure(live: Pick<Live, 'rpcCall'>, ctx: CallContext, sessionId: string, method: string, params: unknown, timeoutMs?: number): Promise<unknown> {
  try {
    return await callSession(live, ctx, sessionId, method, params, timeoutMs);
  } catch (err) {
    ctx.log.info({ sessionId, method, code: isAppError(err) ? err.code : 'internal' }, 'session rpc failed');
    return { success: false, error: rpcFailureText(err, sessionId, method) };
  }
}
