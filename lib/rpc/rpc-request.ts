import type { NatsConnection } from '@nats-io/transport-node';
import { RequestError, TimeoutError } from '@nats-io/transport-node';
import { AppError } from '../errors.js';
import { RpcReply, RpcRequest } from '../gen/teamhub/events/v1/events.js';
import type { Namespace } from '../namespace.js';
import { rpcSubject } from '../nats/subjects.js';

/** Grace on top of the socket's ack timeout for the NATS round trip. */
const TRANSPORT_GRACE_MS = 1_000;
export const DEFAULT_RPC_TIMEOUT_MS = 30_000;

export const rpcTargetMissing = (): AppError =>
  new AppError('unavailable', 'RPC target not registered', { details: { code: 'rpc_target_missing', hapiCode: 'rpc_target_missing' } });

/**
 * The requester side of socket RPC over NATS: calls `<scopeId>:<method>` on whichever gateway
 * replica holds the socket that registered it (it answers on `rpcSubject(ns, scopeId, method)`),
 * and resolves with the socket's parsed ack. No responder → AppError('unavailable') with
 * details.code `rpc_target_missing`; a timeout → 'deadline_exceeded'. A reply stamped with
 * another namespace is refused.
 */
export async function requestRpc(
  nc: NatsConnection,
  ns: Namespace,
  scopeId: string,
  method: string,
  params: unknown,
  timeoutMs: number = DEFAULT_RPC_TIMEOUT_MS,
): Promise<unknown> {
  const req = RpcRequest.fromPartial({ namespace: ns, scopeId, method, paramsJson: JSON.stringify(params ?? null), timeoutMs });
  let replyData: Uint8Array;
  try {
    const msg = await nc.request(rpcSubject(ns, scopeId, method), RpcRequest.encode(req).finish(), { timeout: timeoutMs + TRANSPORT_GRACE_MS });
    replyData = msg.data;
  } catch (err) {
    if (err instanceof RequestError && err.isNoResponders()) throw rpcTargetMissing();
    if (err instanceof TimeoutError) throw new AppError('deadline_exceeded', 'RPC call timed out', { cause: err });
    throw new AppError('unavailable', 'RPC transport failed', { cause: err });
  }
  let reply: RpcReply;
  try {
    reply = RpcReply.decode(replyData);
  } catch (err) {
    throw new AppError('internal', 'undecodable RPC reply', { cause: err });
  }
  if (reply.namespace !== ns) throw new AppError('internal', 'RPC reply from another namespace');
  if (!reply.ok) {
    if (reply.errorCode === 'timeout') throw new AppError('deadline_exceeded', 'RPC call timed out');
    if (reply.errorCode === 'rpc_target_missing') throw rpcTargetMissing();
    throw new AppError('internal', 'RPC call failed', { details: { code: reply.errorCode } });
  }
  try {
    return JSON.parse(reply.resultJson) as unknown;
  } catch {
    return reply.resultJson;
  }
}
