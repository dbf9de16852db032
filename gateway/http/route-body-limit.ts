import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../lib/errors.js';

/**
 * Route options for a route whose body limit is below the gateway's (HAPI's limits for a few
 * routes), answering 413 with the route's own HAPI text. A body that declares a length beyond the
 * route's limit but within the gateway's is read to its end before the 413, so the client gets the
 * answer instead of a connection closed while it still writes; a body without a declared length
 * (chunked) is cut at the route's limit; one declaring more than the gateway's limit gets the 413
 * at once, unread.
 */
export function routeBodyLimit(limitBytes: number, gatewayMaxBodyBytes: number, text: string) {
  return {
    bodyLimit: limitBytes,
    preParsing: async (request: FastifyRequest, _reply: FastifyReply, payload: NodeJS.ReadableStream) => {
      const declared = Number(request.headers['content-length']);
      if (!(declared > limitBytes && declared <= gatewayMaxBodyBytes)) return payload;
      for await (const chunk of payload) void chunk;
      throw Object.assign(new Error(text), { statusCode: 413 });
    },
    errorHandler: (err: FastifyError | AppError, _request: FastifyRequest, reply: FastifyReply) => {
      // Fastify's own 413, or the gateway's size check that runs before the credential check.
      const tooLarge = err instanceof AppError ? err.code === 'payload_too_large' : err.statusCode === 413;
      if (tooLarge) return reply.code(413).send({ error: text });
      throw err;
    },
  };
}
