/**
 * The vocabulary of bad input: values that are the wrong type, out of range, huge, deeply
 * nested, full of control or non-ASCII characters, or that look like operators to a database or
 * to JavaScript's object model. Each has a name that says what it is in a case's title.
 */

/** JSON text nested `n` deep (built as text: a value this deep cannot be JSON.stringify'd). */
export function nestedJson(n: number): string {
  return `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;
}

export interface BadValue {
  name: string;
  /** The value as JSON text (some cannot be written with JSON.stringify). */
  json: string;
  /** No route may accept it: the edge must refuse it (the depth bound). */
  alwaysRefused?: boolean;
}

const v = (name: string, value: unknown): BadValue => ({ name, json: JSON.stringify(value) });

/** Replacements for one field of a valid body or socket payload. */
export const BAD_FIELD_VALUES: BadValue[] = [
  v('null', null),
  v('a float', 1.5),
  v('1e308', 1e308),
  v('-1e308', -1e308),
  v('true', true),
  v('an empty string', ''),
  v('an array', [1, 'two']),
  v('an object', { nested: { deeper: true } }),
  v('64 KiB of text', 'x'.repeat(64 * 1024)),
  v('control characters', 'a\u0000b\u0001\u001f\u007f\u009f'),
  v('non-ASCII text', 'ünï 😀 日本 \u202e'),
  { name: 'a lone surrogate', json: '"base:a\\ud800"' },
  v('an operator object', { $where: 'sleep(1000)', $gt: '' }),
  { name: 'a __proto__ object', json: '{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}' },
  { name: 'JSON nested 100,000 deep', json: nestedJson(100_000), alwaysRefused: true },
];

/** Replacements for one query parameter (as the text after `=`, already percent-encoded). */
export const BAD_QUERY_VALUES: Array<{ name: string; raw: string }> = [
  { name: 'empty', raw: '' },
  { name: 'negative', raw: '-1' },
  { name: 'a float', raw: '1.5' },
  { name: '1e308', raw: '1e308' },
  { name: 'NaN', raw: 'NaN' },
  { name: '400 digits', raw: '9'.repeat(400) },
  { name: 'a NUL', raw: '%00' },
  { name: 'invalid UTF-8', raw: '%FF%FE' },
  { name: 'a lone surrogate (CESU-8)', raw: '%ED%A0%80' },
  { name: 'an operator', raw: '%24where' },
];

/** Replacements for an id in a path (percent-encoded). `foreign` is filled in per route. */
export const BAD_PATH_IDS: Array<{ name: string; raw: string }> = [
  { name: 'an unknown id', raw: '00000000-0000-4000-8000-000000000000' },
  { name: 'dot dot', raw: '%2E%2E' },
  { name: 'a NUL', raw: '%00' },
  { name: '2,000 characters', raw: 'x'.repeat(2000) },
  { name: 'non-ASCII', raw: encodeURIComponent('ünï😀') },
  { name: 'invalid UTF-8', raw: '%FF' },
  { name: '$where', raw: '%24where' },
  { name: '__proto__', raw: '__proto__' },
  { name: 'constructor', raw: 'constructor' },
];
