import { AppError } from './errors.js';

/**
 * Client-supplied JSON travels and is stored as JSON text, never as a query or a document the
 * store interprets, so keys like `$where`, `a.b` and `__proto__` round-trip unchanged.
 */

/**
 * How deeply client JSON may nest unless configured (`TEAMHUB_MAX_JSON_DEPTH` at the gateway).
 * Real documents (metadata, agent state with tool arguments, message content) nest about ten
 * levels; JSON.parse takes a million, but JSON.stringify and every recursive reader after it
 * overflow the stack at a few thousand, so the edge refuses anything deeper than this.
 */
export const DEFAULT_MAX_JSON_DEPTH = 100;

/**
 * The nesting depth of a parsed JSON value (a scalar is 0, `{}` and `[]` are 1, `{"a":[]}` is 2),
 * or `limit + 1` as soon as it is known to exceed `limit`. Iterative, so it cannot overflow.
 */
export function jsonDepth(value: unknown, limit = Number.MAX_SAFE_INTEGER): number {
  let deepest = 0;
  const stack: Array<{ v: unknown; depth: number }> = [{ v: value, depth: 0 }];
  while (stack.length > 0) {
    const { v, depth } = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    const here = depth + 1;
    if (here > limit) return limit + 1;
    if (here > deepest) deepest = here;
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (typeof child === 'object' && child !== null) stack.push({ v: child, depth: here });
    }
  }
  return deepest;
}

/** The clear refusal of a too-deep document (a 400 over HTTP, an error ack on a socket). */
export function tooDeepError(limit?: number): AppError {
  return new AppError('invalid_argument', limit === undefined ? 'Invalid body: JSON nested too deeply' : `Invalid body: JSON nested deeper than ${limit} levels`);
}

/**
 * Serialises a client value; `null`/`undefined` become undefined (absent = JSON null). A value
 * too deep to serialise (the edge bounds depth first, so only an unchecked path gets here) is
 * refused as bad input rather than crashing the request with a stack overflow.
 */
export function toJsonText(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  try {
    return JSON.stringify(value);
  } catch (err) {
    if (err instanceof RangeError) throw tooDeepError();
    throw err;
  }
}

/** Parses stored JSON text back; absent means null. Uses JSON.parse, which keeps `__proto__` as an own key. */
export function fromJsonText(text: string | undefined | null): unknown {
  if (text === undefined || text === null) return null;
  return JSON.parse(text) as unknown;
}
