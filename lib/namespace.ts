/**
 * A namespace name that passed the edge checks. Only `parseNamespace` makes one, so a plain
 * string can never reach a store method by accident.
 */
export type Namespace = string & { readonly __brand: 'Namespace' };

export const MAX_NAMESPACE_BYTES = 256;

// C0 and C1 control characters, DEL, and the Unicode line/paragraph separators.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/u;

/** Why a raw value is not a namespace, or null when it is one. */
export function namespaceProblem(raw: unknown): string | null {
  if (typeof raw !== 'string') return 'namespace must be a string';
  if (raw.length === 0) return 'namespace is empty';
  if (raw.trim() !== raw) return 'namespace has leading or trailing whitespace';
  if (Buffer.byteLength(raw, 'utf8') > MAX_NAMESPACE_BYTES) return `namespace is longer than ${MAX_NAMESPACE_BYTES} bytes`;
  if (CONTROL_CHARS.test(raw)) return 'namespace contains control characters';
  if (!raw.isWellFormed()) return 'namespace is not valid Unicode';
  return null;
}

export function isNamespace(raw: unknown): raw is Namespace {
  return namespaceProblem(raw) === null;
}

/**
 * Parses a namespace name; throws a plain Error describing the problem. The only place a
 * `Namespace` is made (`isNamespace` is its boolean form, for callers with their own error).
 */
export function parseNamespace(raw: unknown): Namespace {
  const problem = namespaceProblem(raw);
  if (problem) throw new Error(problem);
  return raw as Namespace;
}

/** The namespace of a token without a `:name` suffix. */
export const DEFAULT_NAMESPACE: Namespace = parseNamespace('default');

const PLAIN_TOKEN = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Encodes any string as one NATS subject token. The result only contains [A-Za-z0-9_-], so it
 * can never hold `.`, `*`, `>` or whitespace. It is injective: plain names get prefix `p`,
 * everything else `x` + lowercase hex of its UTF-8 bytes, so two inputs never share a token.
 */
export function subjectToken(value: string): string {
  if (PLAIN_TOKEN.test(value)) return `p${value}`;
  return `x${Buffer.from(value, 'utf8').toString('hex')}`;
}

/** Inverse of `subjectToken`. */
export function fromSubjectToken(token: string): string {
  if (token.startsWith('p')) return token.slice(1);
  if (token.startsWith('x')) return Buffer.from(token.slice(1), 'hex').toString('utf8');
  throw new Error(`not a subject token: ${token}`);
}
