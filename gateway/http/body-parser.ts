import type { FastifyInstance } from 'fastify';
import { AppError } from '../../lib/errors.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Strict UTF-8 decode; null on invalid bytes. */
export function decodeUtf8(bytes: Uint8Array): string | null {
  try {
    return utf8.decode(bytes);
  } catch {
    return null;
  }
}

/**
 * Replaces Fastify's JSON parser: the body is read as bytes (bounded by bodyLimit), decoded as
 * strict UTF-8 and parsed with JSON.parse (keys such as `__proto__` or `$where` stay opaque
 * own keys). Invalid UTF-8 or JSON → 400 Invalid body. An empty body counts as no body.
 */
export function installJsonParser(app: FastifyInstance): void {
  app.removeContentTypeParser(['application/json']);
  app.addContentTypeParser(/^application\/([\w.+-]+\+)?json(;.*)?$/i, { parseAs: 'buffer' }, (_req, body: Buffer, done) => {
    if (body.length === 0) return done(null, undefined);
    const text = decodeUtf8(body);
    if (text === null) return done(new AppError('invalid_argument', 'Invalid body'), undefined);
    try {
      done(null, JSON.parse(text) as unknown);
    } catch (err) {
      done(new AppError('invalid_argument', 'Invalid body', { cause: err }), undefined);
    }
  });
}
