import { randomUUID } from 'node:crypto';
import type { Logger } from './logger.js';
import type { Namespace } from './namespace.js';

/**
 * The one context of a call made for one namespace. The gateway builds it once per HTTP request
 * (after authentication) and once per socket event; liveness and sweeper paths build their own.
 * It travels with the call: `RpcClient.call` fills the body's namespace and the call metadata
 * from it, the gRPC server rebuilds it from that metadata, handlers pass it to the domain, and
 * events carry its request id. Its logger is a child bound to `ns` and `reqId`, so every log
 * line of one request carries both, in every process.
 */
export interface CallContext {
  readonly namespace: Namespace;
  readonly requestId: string;
  readonly log: Logger;
}

/**
 * A call made for the hub as a whole (token resolution, administration, the Telegram bot's
 * binding lookups). `namespace` is set when such a call also names one namespace (an admin
 * reading one namespace's audit entries).
 */
export interface HubCallContext {
  readonly hub: true;
  readonly namespace?: Namespace;
  readonly requestId: string;
  readonly log: Logger;
}

export type AnyCallContext = CallContext | HubCallContext;

export function isHubContext(ctx: AnyCallContext): ctx is HubCallContext {
  return 'hub' in ctx && ctx.hub === true;
}

/** A fresh request id for a call that does not come from an HTTP request (socket events, timers). */
export function newRequestId(): string {
  return randomUUID();
}

/** The context of a call for `namespace`; `log` gets the `ns` and `reqId` bindings. */
export function namespaceContext(log: Logger, namespace: Namespace, requestId: string = newRequestId()): CallContext {
  return { namespace, requestId, log: log.child({ ns: namespace, reqId: requestId }) };
}

/** The context of a hub-wide call. */
export function hubContext(log: Logger, requestId: string = newRequestId(), namespace?: Namespace): HubCallContext {
  const bound = log.child(namespace === undefined ? { reqId: requestId } : { ns: namespace, reqId: requestId });
  return namespace === undefined ? { hub: true, requestId, log: bound } : { hub: true, namespace, requestId, log: bound };
}
