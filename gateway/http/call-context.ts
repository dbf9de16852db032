import type { FastifyRequest } from 'fastify';
import type { CallContext, HubCallContext } from '../../lib/context.js';
import type { Logger } from '../../lib/logger.js';
import type { Namespace } from '../../lib/namespace.js';

/** The request's logger: a child of the gateway's pino root (Fastify's type for it is narrower). */
const logOf = (request: FastifyRequest): Logger => request.log as unknown as Logger;

/**
 * The call context of one HTTP request, built once after authentication: the request id is
 * Fastify's (`x-request-id` when the client sent a sane one), the logger the request's own
 * child (which already carries `reqId`) bound to the namespace as well.
 */
export function requestContext(request: FastifyRequest, namespace: Namespace): CallContext {
  return { namespace, requestId: request.id, log: logOf(request).child({ ns: namespace }) };
}

/** The hub-wide call context of one HTTP request (logins, administration). */
export function hubRequestContext(request: FastifyRequest): HubCallContext {
  return { hub: true, requestId: request.id, log: logOf(request) };
}
