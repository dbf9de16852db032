// The real `teamhub` client tools for browser tests: a tiny wrapped agent and `teamhub run` kept running.
import fs from 'node:fs';
import path from 'node:path';
import { startProcess, type Started } from '../helpers/processes.js';
import { SHIM, teamhub } from '../e2e/cli-tool-support.js';

/**
 * The wrapped agent: greets with its folder, answers every stdin line with `got: <line>`, asks for a
 * Bash permission on `please ask`, and says `approved!` / `denied!` when the decision comes back.
 */
export const PAGE_AGENT_SCRIPT = `
import readline from 'node:readline';
console.log('hello, agent here in ' + process.cwd());
readline.createInterface({ input: process.stdin }).on('line', (line) => {
  console.log('got: ' + line);
  if (line === 'please ask') console.log('::permission Bash {"command":"make test"}');
  const result = /^::permission-result \\S+ (approved|denied)$/.exec(line);
  if (result) console.log(result[1] + '!');
});
`;

/** Writes the agent script into `dir`; returns its path. */
export function writePageAgent(dir: string): string {
  const file = path.join(dir, 'page-agent.mjs');
  fs.writeFileSync(file, PAGE_AGENT_SCRIPT);
  return file;
}

/** `teamhub auth login --token <token>` into HAPI_HOME `home`. */
export async function loginHome(home: string, url: string, token: string): Promise<void> {
  const r = await teamhub(['auth', 'login', '--token', token], { home, url });
  if (r.code !== 0) throw new Error(`teamhub auth login failed: ${r.stderr}`);
}

export interface RunningSession {
  id: string;
  /** What `teamhub run` (and so the wrapped command) printed so far. */
  output(): string;
  stop(): Promise<void>;
}

/** `teamhub run [--name N] -- <command>` in `cwd` for HAPI_HOME `home`; resolves once it reports its session id. */
export async function startTeamhubRun(opts: { home: string; url: string; cwd: string; name?: string; command: string[] }): Promise<RunningSession> {
  const env: NodeJS.ProcessEnv = { ...process.env, HAPI_HOME: opts.home, HAPI_API_URL: opts.url };
  delete env.CLI_API_TOKEN;
  delete env.TEAMHUB_ADMIN_TOKEN;
  const args = [SHIM, 'run', ...(opts.name ? ['--name', opts.name] : []), '--', ...opts.command];
  const p: Started = await startProcess(process.execPath, args, { env, cwd: opts.cwd, ready: /teamhub: session \S+\n/, name: 'teamhub run', timeoutMs: 20_000 });
  const id = /teamhub: session (\S+)\n/.exec(p.output())![1]!;
  return { id, output: p.output, stop: () => p.stop() };
}
