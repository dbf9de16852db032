/**
 * Client-supplied JSON travels and is stored as JSON text, never as a query or a document the
 * store interprets, so keys like `$where`, `a.b` and `__proto__` round-trip unchanged.
 */

/** Serialises a client value; `null`/`undefined` become undefined (absent = JSON null). */
export function toJsonText(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  return JSON.stringify(value);
}

/** Parses stored JSON text back; absent means null. Uses JSON.parse, which keeps `__proto__` as an own key. */
export function fromJsonText(text: string | undefined | null): unknown {
  if (text === undefined || text === null) return null;
  return JSON.parse(text) as unknown;
}
