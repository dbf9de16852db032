import { Transform } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../lib/errors.js';

/**
 * How long a body beyond the gateway's limit may go without a byte arriving. A browser sends an
 * upload's body right behind its headers, so a pause this long means the body is not coming.
 */
export const LARGE_BODY_IDLE_MS = 5_000;

function payloadTooLarge(): AppError {
  // Fastify's body reader answers a stream error with the error's own statusCode (else 400).
  return Object.assign(new AppError('payload_too_large', 'Payload too large'), { statusCode: 413 });
}

/**
 * Route options for the routes that take a body larger than the gateway's limit (the uploads,
 * whose base64 file is up to 50 MB). The larger limit holds only while the body keeps arriving:
 * a body declared beyond the gateway's limit (or chunked) that stalls for `idleMs` gets the
 * gateway's ordinary 413 and the connection is closed, instead of the request waiting for bytes
 * that never come while the route's large allowance is held open. Bodies within the gateway's
 * limit are read as on every other route.
 */
export function largeBodyRoute(limitBytes: number, gatewayMaxBodyBytes: number, idleMs = LARGE_BODY_IDLE_MS) {
  return {
    bodyLimit: limitBytes,
    preParsing: async (request: FastifyRequest, reply: FastifyReply, payload: NodeJS.ReadableStream) => {
      const declared = Number(request.headers['content-length']);
      const chunked = request.headers['content-length'] === undefined && request.headers['transfer-encoding'] !== undefined;
      if (!chunked && !(declared > gatewayMaxBodyBytes)) return payload;
      let timer: NodeJS.Timeout | undefined;
      const watched = new Transform({
        transform(chunk: Buffer, _enc, done) {
          arm();
          done(null, chunk);
        },
        flush(done) {
          clearTimeout(timer);
          done();
        },
      });
      const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          // The rest of the body is never read: the connection cannot be reused.
          void reply.header('Connection', 'close');
          request.log.info({ declaredBytes: Number.isFinite(declared) ? declared : null }, 'stalled large body refused');
          watched.destroy(payloadTooLarge());
        }, idleMs);
      };
      watched.on('close', () => clearTimeout(timer));
      arm();
      (payload as NodeJS.ReadableStream & { pipe: (d: Transform) => Transform }).pipe(watched);
      return watched;
    },
  };
}
