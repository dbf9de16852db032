// Client settings in $HAPI_HOME/settings.json, with HAPI's keys (cliApiToken, apiUrl, machineId).
// Unknown keys are kept; writes are atomic (tmp + rename), file 0600, dir 0700.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { CliError } from './errors.js';

export const DEFAULT_API_URL = 'http://localhost:3006';

export type Settings = Record<string, unknown> & { cliApiToken?: string; apiUrl?: string; machineId?: string };

/** `$HAPI_HOME` with `~` expanded; default `~/.hapi`. */
export function hapiHome(env: NodeJS.ProcessEnv = process.env): string {
  const raw = env.HAPI_HOME?.trim();
  if (!raw) return path.join(os.homedir(), '.hapi');
  if (raw === '~') return os.homedir();
  if (raw.startsWith('~/')) return path.join(os.homedir(), raw.slice(2));
  return path.resolve(raw);
}

export function settingsPath(home: string): string {
  return path.join(home, 'settings.json');
}

export function readSettings(home: string): Settings {
  let text: string;
  try {
    text = fs.readFileSync(settingsPath(home), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw err;
  }
  if (!text.trim()) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new CliError(`${settingsPath(home)} is not valid JSON; fix or remove it.`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new CliError(`${settingsPath(home)} must hold a JSON object.`);
  }
  return parsed as Settings;
}

export function ensureHomeDir(home: string): void {
  fs.mkdirSync(home, { recursive: true, mode: 0o700 });
}

/** Writes the whole settings object atomically: a 0600 temp file in the same dir, then rename. */
export function writeSettings(home: string, settings: Settings): void {
  ensureHomeDir(home);
  const target = settingsPath(home);
  const tmp = `${target}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = fs.openSync(tmp, 'wx', 0o600);
  try {
    fs.writeFileSync(fd, JSON.stringify(settings, null, 2) + '\n');
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.chmodSync(tmp, 0o600);
    fs.renameSync(tmp, target);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

/** Read-modify-write; `change` mutates or returns a new object. */
export function updateSettings(home: string, change: (s: Settings) => Settings | void): Settings {
  const current = readSettings(home);
  const next = change(current) ?? current;
  writeSettings(home, next);
  return next;
}

/** The machine id in settings, generating and saving a UUID on first use. */
export function ensureMachineId(home: string): string {
  const existing = readSettings(home).machineId;
  if (typeof existing === 'string' && existing) return existing;
  const id = randomUUID();
  updateSettings(home, (s) => {
    s.machineId = id;
  });
  return id;
}

export type TokenSource = 'environment' | 'settings file' | 'none';

export interface ClientConfig {
  home: string;
  apiUrl: string;
  token: string | null;
  tokenSource: TokenSource;
}

/** Token: env CLI_API_TOKEN > settings; URL: env HAPI_API_URL > settings apiUrl > default. */
export function resolveClientConfig(env: NodeJS.ProcessEnv = process.env): ClientConfig {
  const home = hapiHome(env);
  const s = readSettings(home);
  const envToken = env.CLI_API_TOKEN;
  let token: string | null = null;
  let tokenSource: TokenSource = 'none';
  if (envToken) {
    token = envToken;
    tokenSource = 'environment';
  } else if (typeof s.cliApiToken === 'string' && s.cliApiToken) {
    token = s.cliApiToken;
    tokenSource = 'settings file';
  }
  const legacy = typeof s.serverUrl === 'string' ? s.serverUrl : undefined;
  const fromSettings = typeof s.apiUrl === 'string' && s.apiUrl ? s.apiUrl : legacy;
  const apiUrl = (env.HAPI_API_URL || fromSettings || DEFAULT_API_URL).replace(/\/+$/, '');
  return { home, apiUrl, token, tokenSource };
}

/** The token, or a clear error telling how to set one. */
export function requireToken(cfg: ClientConfig): string {
  if (!cfg.token) {
    throw new CliError('No access token. Run `teamhub auth login` or set CLI_API_TOKEN.');
  }
  return cfg.token;
}
