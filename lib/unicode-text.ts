/**
 * Text that cannot be written as UTF-8: a lone UTF-16 surrogate (`"\ud800"` in JSON, which
 * JSON.parse accepts). Protobuf's encoder and every UTF-8 writer replace it with U+FFFD, so the
 * service would store or compare different text than the client sent.
 */

const MAX_PATH = 80;

/**
 * Where in `value` (a request) a string that is not well-formed Unicode sits (`tag`,
 * `machine.id`; cut to 80 characters, since keys may be a client's), or null.
 */
export function illFormedTextPath(value: unknown): string | null {
  const found = findIllFormed(value);
  return found === null || found.length <= MAX_PATH ? found : `${found.slice(0, MAX_PATH)}…`;
}

function findIllFormed(value: unknown): string | null {
  // An explicit stack: client documents may be deep (they are bounded at the edge, but a
  // recursive walk must not be the thing that overflows).
  const stack: Array<{ v: unknown; path: string }> = [{ v: value, path: '' }];
  while (stack.length > 0) {
    const { v, path } = stack.pop()!;
    if (typeof v === 'string') {
      if (!v.isWellFormed()) return path === '' ? 'the value' : path;
    } else if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) stack.push({ v: v[i], path: `${path}[${i}]` });
    } else if (typeof v === 'object' && v !== null && !ArrayBuffer.isView(v)) {
      for (const [k, child] of Object.entries(v)) {
        if (!k.isWellFormed()) return `${path === '' ? '' : `${path}.`}(a key)`;
        stack.push({ v: child, path: path === '' ? k : `${path}.${k}` });
      }
    }
  }
  return null;
}
