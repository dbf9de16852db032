// Where the ops commands find the admin token: never on the command line (any user of the
// machine can read a command line), but TEAMHUB_ADMIN_TOKEN, a file named by
// --admin-token-file / TEAMHUB_ADMIN_TOKEN_FILE, or the admin command's --admin-token option
// where it still exists.
import { readFileSync } from 'node:fs';
import { CliError } from './errors.js';

export interface AdminTokenOptions {
  adminToken?: string;
  adminTokenFile?: string;
}

export function findAdminToken(opts: AdminTokenOptions): string | undefined {
  const given = opts.adminToken?.trim() || process.env.TEAMHUB_ADMIN_TOKEN?.trim();
  if (given) return given;
  const file = opts.adminTokenFile ?? process.env.TEAMHUB_ADMIN_TOKEN_FILE;
  if (!file) return undefined;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(`Cannot read the admin token file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  if (!text.trim()) throw new CliError(`The admin token file ${file} is empty.`);
  return text.trim();
}

export function requireAdminToken(opts: AdminTokenOptions): string {
  const t = findAdminToken(opts);
  if (!t) throw new CliError('An admin token is needed: set TEAMHUB_ADMIN_TOKEN or pass --admin-token-file <file>.');
  return t;
}
