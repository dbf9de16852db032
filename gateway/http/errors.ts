import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, httpStatusOf } from '../../lib/errors.js';

/** HAPI's error body: `{"error": <message>}`. */
export interface ErrorBody {
  error: string;
  [key: string]: unknown;
}

/** Client-safe text for an AppError (the RPC layer's generic texts get HAPI-style capitals). */
function messageOf(err: AppError): string {
  if (err.code === 'unavailable' && err.message === 'service unavailable') return 'Service unavailable';
  if (err.code === 'internal') return 'Internal error';
  return err.message;
}

function isFastifyError(err: unknown): err is FastifyError {
  return typeof err === 'object' && err !== null && typeof (err as FastifyError).code === 'string' && (err as FastifyError).code.startsWith('FST_');
}

/**
 * Sends an AppError as HAPI JSON, with Retry-After on 429 (when the throttle lifts) and on 503
 * (a service is down or restarting: the launcher brings a crashed one back within about a
 * second, so clients are told to come back in 1 s unless the error says otherwise).
 */
export function sendAppError(reply: FastifyReply, err: AppError): FastifyReply {
  const status = httpStatusOf(err);
  if (status === 429 || status === 503) {
    const ms = Number(err.details.retryAfterMs);
    const seconds = Number.isFinite(ms) && ms > 0 ? Math.ceil(ms / 1000) : 1;
    void reply.header('Retry-After', String(seconds));
  }
  const body: ErrorBody = { error: messageOf(err) };
  // Callers that match on a machine-readable code (HAPI's `{error, code}` bodies) get it too.
  if (typeof err.details.hapiCode === 'string') body.code = err.details.hapiCode;
  // HAPI's validation answers name what was wrong (`issues`: zod's flattened errors).
  if (typeof err.details.issuesJson === 'string') body.issues = JSON.parse(err.details.issuesJson) as unknown;
  return reply.code(status).send(body);
}

/**
 * The gateway's one error handler: AppError → its HTTP status and HAPI JSON; body problems →
 * 400 Invalid body; too large → 413; anything else → 500 Internal error, logged, never leaked.
 */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: unknown, request: FastifyRequest, reply: FastifyReply) => {
    if (err instanceof AppError) {
      if (err.code === 'internal') request.log.error({ err }, 'internal error');
      else if (err.code === 'unavailable' || err.code === 'deadline_exceeded') request.log.warn({ err: err.message }, 'dependency failed');
      return sendAppError(reply, err);
    }
    if (isFastifyError(err)) {
      const status = err.statusCode ?? 500;
      if (status === 413) return reply.code(413).send({ error: 'Payload too large' });
      if (status === 400 || status === 415) return reply.code(400).send({ error: 'Invalid body' });
      if (status < 500) return reply.code(status).send({ error: err.message });
    }
    const withStatus = err as { statusCode?: number; status?: number };
    if (withStatus?.statusCode === 400 || err instanceof SyntaxError) return reply.code(400).send({ error: 'Invalid body' });
    request.log.error({ err }, 'unhandled error');
    return reply.code(500).send({ error: 'Internal error' });
  });
}
