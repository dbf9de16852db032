import type { FastifyInstance } from 'fastify';
import { AppError } from '../../lib/errors.js';
import { DEFAULT_MAX_JSON_DEPTH, jsonDepth, tooDeepError } from '../../lib/json.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Strict UTF-8 decode; null on invalid bytes. */
export function decodeUtf8(bytes: Uint8Array): string | null {
  try {
    return utf8.decode(bytes);
  } catch {
    return null;
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The depth bound on client JSON, for the parsers of route groups that read bodies their own way. */
    maxJsonDepth: number;
  }
}

/** Is this parsed client JSON nested deeper than the app's bound? (The same test for every parser.) */
export function tooDeepFor(app: FastifyInstance, value: unknown): AppError | null {
  const maxDepth = app.hasDecorator('maxJsonDepth') ? app.maxJsonDepth : DEFAULT_MAX_JSON_DEPTH;
  return jsonDepth(value, maxDepth) > maxDepth ? tooDeepError(maxDepth) : null;
}

/**
 * Replaces Fastify's JSON parser: the body is read as bytes (bounded by bodyLimit, 413 beyond),
 * decoded as strict UTF-8 and parsed with JSON.parse (keys such as `__proto__` or `$where` stay
 * opaque own keys). Invalid UTF-8 or JSON → 400 Invalid body; JSON nested deeper than `maxDepth`
 * → 400 saying so (JSON.parse copes with any depth, but serialising it again would overflow the
 * stack, so every route gets the bound here). An empty body counts as no body.
 */
export function installJsonParser(app: FastifyInstance, maxDepth = DEFAULT_MAX_JSON_DEPTH): void {
  app.decorate('maxJsonDepth', maxDepth);
  app.removeContentTypeParser(['application/json']);
  app.addContentTypeParser(/^application\/([\w.+-]+\+)?json(;.*)?$/i, { parseAs: 'buffer' }, (_req, body: Buffer, done) => {
    if (body.length === 0) return done(null, undefined);
    const text = decodeUtf8(body);
    if (text === null) return done(new AppError('invalid_argument', 'Invalid body'), undefined);
    let value: unknown;
    try {
      value = JSON.parse(text) as unknown;
    } catch (err) {
      return done(new AppError('invalid_argument', 'Invalid body', { cause: err }), undefined);
    }
    if (jsonDepth(value, maxDepth) > maxDepth) return done(tooDeepError(maxDepth), undefined);
    done(null, value);
  });
}
