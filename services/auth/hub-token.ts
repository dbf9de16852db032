import { readFileSync, renameSync, writeFileSync, mkdirSync, existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { parseAccessToken } from '../../lib/access-token.js';

export type TokenSource = 'env' | 'settings file';

/** A hub token that cannot be used (e.g. ":alice"); the service refuses to start with this message. */
export class HubTokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HubTokenError';
  }
}

export interface NormalizedHubToken {
  token: string;
  /** Set when a namespace suffix was dropped: the one warning to log. */
  warning?: string;
}

/**
 * The hub's own token must be a base token. A value with a colon is trimmed to its base
 * (parseAccessToken semantics; for an unparsable value, the part before the last colon) with one
 * warning naming the source and the dropped suffix — the seed's behaviour, never silent. A value
 * with nothing usable before the colon refuses to start.
 */
export function normalizeHubToken(raw: string, source: TokenSource): NormalizedHubToken {
  const trimmed = raw.trim();
  if (trimmed === '') throw new HubTokenError(`CLI_API_TOKEN from ${source} is empty; set a base token or remove it`);
  if (!trimmed.includes(':')) return { token: trimmed };
  const parsed = parseAccessToken(trimmed);
  let base: string;
  let suffix: string;
  if (parsed) {
    base = parsed.baseToken;
    suffix = parsed.namespace;
  } else {
    const colon = trimmed.lastIndexOf(':');
    base = trimmed.slice(0, colon).trim();
    suffix = trimmed.slice(colon + 1);
  }
  if (base === '') {
    throw new HubTokenError(
      `CLI_API_TOKEN from ${source} has no base token before ":"; the hub token must be the base token only (no ":namespace" suffix)`,
    );
  }
  return { token: base, warning: `CLI_API_TOKEN from ${source} includes namespace suffix ${JSON.stringify(suffix)}; using the base token only` };
}

const WEAK_WORDS = new Set(['base', 'token', 'password', 'secret', 'changeme', 'admin', 'test']);

/** HAPI's weak-token heuristic: short, or a trivial pattern. */
export function isWeakToken(token: string): boolean {
  if (token.length < 16) return true;
  if (/^(.)\1*$/su.test(token)) return true;
  if (WEAK_WORDS.has(token.toLowerCase())) return true;
  return false;
}

/** Writes a file atomically (tmp in the same directory, then rename) with the given mode. */
export function writeFileAtomic(file: string, content: string, mode = 0o600): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(tmp, content, { mode });
  renameSync(tmp, file);
}

/** Reads the settings file's JSON object; {} when absent. Throws HubTokenError when unreadable. */
export function readSettings(file: string): Record<string, unknown> {
  if (!existsSync(file)) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new HubTokenError(`settings file ${file} is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new HubTokenError(`settings file ${file} must hold a JSON object`);
  }
  return parsed as Record<string, unknown>;
}

/**
 * The base token from the settings file (key `cliApiToken`, optional). When it carried a suffix,
 * the file is rewritten with the base token (atomic, other keys kept, mode preserved).
 */
export function settingsFileToken(file: string): NormalizedHubToken | undefined {
  const settings = readSettings(file);
  const raw = settings.cliApiToken;
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'string') throw new HubTokenError(`settings file ${file}: cliApiToken must be a string`);
  const normalized = normalizeHubToken(raw, 'settings file');
  if (normalized.warning) {
    const mode = statSync(file).mode & 0o777;
    writeFileAtomic(file, `${JSON.stringify({ ...settings, cliApiToken: normalized.token }, null, 2)}\n`, mode);
  }
  return normalized;
}
