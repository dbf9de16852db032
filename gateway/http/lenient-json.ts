import type { FastifyInstance, FastifyRequest } from 'fastify';
import { decodeUtf8, tooDeepFor } from './body-parser.js';

/** What a lenient route sees for a body that is not UTF-8 JSON. */
const NOT_JSON: unique symbol = Symbol('not JSON');

/**
 * Registers routes whose JSON body is read the way HAPI reads it: a body that is not JSON does
 * not fail the request before the route runs (the gateway's strict parser answers 400 at once),
 * it reaches the route, which checks the session first and then answers its own text for the
 * body (`Invalid body: name is required`, `Invalid JSON body`, …). The parser is scoped to these
 * routes (a Fastify plugin context); everything else keeps the strict one.
 */
export function withLenientJson(app: FastifyInstance, register: (scoped: FastifyInstance) => void): void {
  void app.register(async (scoped) => {
    scoped.removeAllContentTypeParsers();
    // Any content type: HAPI reads the body text as JSON whatever the header says.
    scoped.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body: Buffer, done) => {
      if (body.length === 0) return done(null, undefined);
      const text = decodeUtf8(body);
      if (text === null) return done(null, NOT_JSON);
      let value: unknown;
      try {
        value = JSON.parse(text) as unknown;
      } catch {
        return done(null, NOT_JSON);
      }
      // The depth bound holds here too, at the edge like the body size limit: a route reading
      // such a body (or writing it to a service) would overflow the stack serialising it again.
      const tooDeep = tooDeepFor(scoped, value);
      done(tooDeep, tooDeep ? undefined : value);
    });
    register(scoped);
  });
}

/** The parsed JSON body, or null when there was none or it was not JSON (HAPI's `c.req.json().catch(() => null)`). */
export function jsonBodyOrNull(request: FastifyRequest): unknown {
  const b = request.body;
  return b === undefined || b === NOT_JSON ? null : b;
}

/**
 * For routes that read the raw text as HAPI's fork and migrate routes do: `empty` when there was
 * no body, `bad` when it was not JSON, else the value.
 */
export function jsonBodyText(request: FastifyRequest): { kind: 'empty' } | { kind: 'bad' } | { kind: 'json'; value: unknown } {
  const b = request.body;
  if (b === undefined) return { kind: 'empty' };
  if (b === NOT_JSON) return { kind: 'bad' };
  return { kind: 'json', value: b };
}
