// `teamhub auth login|status|logout`: local credentials only, no hub traffic (as `hapi auth`).
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { CliError } from '../errors.js';
import { hostName } from '../machine.js';
import { readSettings, resolveClientConfig, settingsPath, updateSettings } from '../settings.js';

export const NON_TTY_LOGIN =
  'Cannot prompt for token in non-TTY environment.\nSet CLI_API_TOKEN environment variable instead.';
export const LOGOUT_LINES = [
  'Cleared local credentials (token and machineId).',
  'Note: If CLI_API_TOKEN is set via environment variable, it will still be used.',
];

async function promptToken(): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return (await rl.question('Enter CLI_API_TOKEN (base token, or base:namespace): ')).trim();
  } finally {
    rl.close();
  }
}

export async function authLogin(opts: { token?: string; url?: string }): Promise<void> {
  const cfg = resolveClientConfig();
  let token = opts.token?.trim();
  if (!token) {
    if (!process.stdin.isTTY) {
      console.error(NON_TTY_LOGIN);
      process.exitCode = 1;
      return;
    }
    token = await promptToken();
    if (!token) throw new CliError('No token entered.');
  }
  const url = opts.url?.trim().replace(/\/+$/, '');
  if (url && !/^https?:\/\//.test(url)) throw new CliError(`--url must start with http:// or https:// (got ${url}).`);
  updateSettings(cfg.home, (s) => {
    s.cliApiToken = token;
    if (url) s.apiUrl = url;
  });
  console.log(`Token saved to ${settingsPath(cfg.home)}`);
  if (url) console.log(`Hub URL saved: ${url}`);
  if (process.env.CLI_API_TOKEN) console.log('Note: CLI_API_TOKEN is set in the environment and takes precedence.');
}

export function authStatus(): void {
  const cfg = resolveClientConfig();
  const s = readSettings(cfg.home);
  const machineId = typeof s.machineId === 'string' && s.machineId ? s.machineId : 'not set';
  const lines = [
    '',
    'Direct Connect Status',
    '',
    `  HAPI_API_URL: ${cfg.apiUrl}`,
    `  CLI_API_TOKEN: ${cfg.token ? 'set' : 'missing'}`,
    `  Token Source: ${cfg.tokenSource}`,
    `  Machine ID: ${machineId}`,
    `  Host: ${hostName()}`,
    `  HAPI_HOME: ${cfg.home}`,
  ];
  if (!cfg.token) {
    lines.push('', '  Run `teamhub auth login` or set CLI_API_TOKEN to connect.');
  }
  console.log(lines.join('\n'));
}

export function authLogout(): void {
  const cfg = resolveClientConfig();
  updateSettings(cfg.home, (s) => {
    delete s.cliApiToken;
    delete s.machineId;
  });
  console.log(LOGOUT_LINES.join('\n'));
}

export function registerAuthCommands(program: Command): void {
  const auth = program.command('auth').description('manage the local hub credentials ($HAPI_HOME/settings.json)');
  auth
    .command('login')
    .description('save an access token (and optionally the hub URL)')
    .option('--token <token>', 'access token, e.g. base:alice')
    .option('--url <url>', 'hub URL, e.g. http://127.0.0.1:3006')
    .action(authLogin);
  auth.command('status').description('show URL, token source and machine id').action(authStatus);
  auth.command('logout').description('remove the saved token and machine id').action(authLogout);
}
