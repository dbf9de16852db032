// Files read through the session's CLI arrive base64-encoded; the page shows text files and
// says so for binary ones.

const MAX_SHOWN = 512 * 1024;

export type FileText = { kind: 'text'; text: string; truncated: boolean } | { kind: 'binary'; bytes: number };

export function decodeFile(base64: string): FileText {
  const bin = atob(base64);
  const bytes = Uint8Array.from(bin.slice(0, MAX_SHOWN), (c) => c.charCodeAt(0));
  // A NUL byte in the first 8 KB is git's own test for "binary".
  if (bytes.subarray(0, 8192).includes(0)) return { kind: 'binary', bytes: bin.length };
  try {
    const text = new TextDecoder('utf-8', { fatal: bin.length <= MAX_SHOWN }).decode(bytes);
    return { kind: 'text', text, truncated: bin.length > MAX_SHOWN };
  } catch {
    return { kind: 'binary', bytes: bin.length };
  }
}

/** `dir/name` for the CLI's paths relative to the session folder ('' is the folder itself). */
export function joinPath(dir: string, name: string): string {
  return dir ? `${dir.replace(/\/+$/, '')}/${name}` : name;
}

export function parentPath(dir: string): string {
  const i = dir.replace(/\/+$/, '').lastIndexOf('/');
  return i <= 0 ? '' : dir.slice(0, i);
}
