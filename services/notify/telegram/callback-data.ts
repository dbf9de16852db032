/**
 * Inline button data for permission notifications: `ap:<sid-prefix>:<rid-prefix>` (approve) or
 * `dn:…` (deny), at most 64 bytes as Telegram requires. The prefixes are resolved again when the
 * button is tapped, inside the clicker's own namespace.
 */
export type CallbackAction = 'ap' | 'dn';

export const CALLBACK_DATA_MAX_BYTES = 64;
const SESSION_PREFIX_BYTES = 20;
const REQUEST_PREFIX_BYTES = CALLBACK_DATA_MAX_BYTES - 3 - SESSION_PREFIX_BYTES - 1;

/** The longest prefix of `s` (whole characters, no `:`) that fits in `maxBytes` UTF-8 bytes. */
export function bytePrefix(s: string, maxBytes: number): string {
  let out = '';
  let bytes = 0;
  for (const ch of s) {
    const n = Buffer.byteLength(ch, 'utf8');
    if (ch === ':' || bytes + n > maxBytes) break;
    out += ch;
    bytes += n;
  }
  return out;
}

export function encodeCallbackData(action: CallbackAction, sessionId: string, requestId: string): string {
  return `${action}:${bytePrefix(sessionId, SESSION_PREFIX_BYTES)}:${bytePrefix(requestId, REQUEST_PREFIX_BYTES)}`;
}

export interface ParsedCallbackData {
  action: CallbackAction;
  sessionPrefix: string;
  requestPrefix: string;
}

/** null for anything that is not exactly `ap|dn:<non-empty>:<non-empty>`. */
export function parseCallbackData(data: string | undefined): ParsedCallbackData | null {
  if (data === undefined || Buffer.byteLength(data, 'utf8') > CALLBACK_DATA_MAX_BYTES) return null;
  const m = /^(ap|dn):([^:]+):([^:]+)$/.exec(data);
  if (!m) return null;
  return { action: m[1] as CallbackAction, sessionPrefix: m[2]!, requestPrefix: m[3]! };
}

/** The one key of `keys` starting with `prefix`, or null when none or several do. */
export function uniqueByPrefix(keys: Iterable<string>, prefix: string): string | null {
  let found: string | null = null;
  for (const k of keys) {
    if (!k.startsWith(prefix)) continue;
    if (found !== null) return null;
    found = k;
  }
  return found;
}
