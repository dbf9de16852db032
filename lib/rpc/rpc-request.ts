import type { NatsConnection } from '@nats-io/transport-node';
import { RequestError, TimeoutError } from '@nats-io/transport-node';
import { AppError } from '../errors.js';
import { RpcReply, RpcRequest } from '../gen/teamhub/rpc/v1/rpc.js';
import type { Namespace } from '../namespace.js';
import { rpcSubject } from '../nats/subjects.js';
import type { RpcBlobs } from './rpc-blobs.js';

/** Grace on top of the socket's ack timeout for the NATS round trip. */
const TRANSPORT_GRACE_MS = 1_000;
export const DEFAULT_RPC_TIMEOUT_MS = 30_000;

/**
 * No socket holds `<scopeId>:<method>`. The text is HAPI's (`RPC handler not registered: <id>:<method>`):
 * its web routes answer it as the error message, and HAPI's web app shows it.
 */
export const rpcTargetMissing = (fullMethod: string): AppError =>
  new AppError('unavailable', `RPC handler not registered: ${fullMethod}`, { details: { code: 'rpc_target_missing', hapiCode: 'rpc_target_missing' } });

/** The socket did not ack in time; HAPI's text is Socket.IO's ack timeout message. */
export const rpcTimedOut = (cause?: unknown): AppError => new AppError('deadline_exceeded', 'operation has timed out', { cause });

/**
 * The requester side of socket RPC over NATS: calls `<scopeId>:<method>` on whichever gateway
 * replica holds the socket that registered it (it answers on `rpcSubject(ns, scopeId, method)`),
 * and resolves with the socket's parsed ack. No responder → AppError('unavailable') with
 * details.code `rpc_target_missing`; a timeout → 'deadline_exceeded'. A reply stamped with
 * another namespace is refused. With `blobs`, params and acks too large for one NATS message
 * travel through the payload object store (see rpc-blobs.ts); without it they are refused.
 */
export async function requestRpc(
  nc: NatsConnection,
  ns: Namespace,
  scopeId: string,
  method: string,
  params: unknown,
  timeoutMs: number = DEFAULT_RPC_TIMEOUT_MS,
  blobs?: RpcBlobs,
): Promise<unknown> {
  const fullMethod = `${scopeId}:${method}`;
  let paramsJson = JSON.stringify(params ?? null);
  let paramsBlob = '';
  if (blobs?.tooLarge(paramsJson)) {
    paramsBlob = await blobs.put(paramsJson);
    paramsJson = '';
  }
  const req = RpcRequest.fromPartial({ namespace: ns, scopeId, method, paramsJson, paramsBlob, timeoutMs });
  let replyData: Uint8Array;
  try {
    const msg = await nc.request(rpcSubject(ns, scopeId, method), RpcRequest.encode(req).finish(), { timeout: timeoutMs + TRANSPORT_GRACE_MS });
    replyData = msg.data;
  } catch (err) {
    if (err instanceof RequestError && err.isNoResponders()) throw rpcTargetMissing(fullMethod);
    if (err instanceof TimeoutError) throw rpcTimedOut(err);
    throw new AppError('unavailable', 'RPC transport failed', { cause: err });
  } finally {
    // Taken by the answering replica when it got the call; otherwise it would wait for its TTL.
    if (paramsBlob) void blobs?.discard(paramsBlob);
  }
  let reply: RpcReply;
  try {
    reply = RpcReply.decode(replyData);
  } catch (err) {
    throw new AppError('internal', 'undecodable RPC reply', { cause: err });
  }
  if (reply.namespace !== ns) throw new AppError('internal', 'RPC reply from another namespace');
  if (!reply.ok) {
    if (reply.errorCode === 'timeout') throw rpcTimedOut();
    if (reply.errorCode === 'rpc_target_missing') throw rpcTargetMissing(fullMethod);
    throw new AppError('internal', 'RPC call failed', { details: { code: reply.errorCode } });
  }
  let resultJson = reply.resultJson;
  if (reply.resultBlob) {
    const taken = blobs ? await blobs.take(reply.resultBlob) : null;
    if (taken === null) throw new AppError('internal', 'RPC answer payload missing');
    resultJson = taken;
  }
  try {
    return JSON.parse(resultJson) as unknown;
  } catch {
    return resultJson;
  }
}
