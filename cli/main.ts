// The `teamhub` command (HAPI-compatible client): auth, runner, run, lists and hub administration.
import { Command, CommanderError } from 'commander';
import { registerAdminCommands } from './commands/admin.js';
import { registerAuthCommands } from './commands/auth.js';
import { registerBackupCommands } from './commands/backup.js';
import { registerExportCommand } from './commands/export.js';
import { registerImportHapiCommand } from './commands/import-hapi.js';
import { registerListCommands } from './commands/lists.js';
import { registerRunnerCommands } from './commands/runner.js';
import { CliError } from './errors.js';
import { runSession, type RunOptions } from './run/session-run.js';
import { VERSION } from './version.js';

export function buildProgram(): Command {
  const program = new Command('teamhub')
    .description('teamhub client: connect this machine and its sessions to a teamhub (or HAPI) hub')
    .version(VERSION)
    .enablePositionalOptions()
    .showHelpAfterError()
    .exitOverride();
  registerAuthCommands(program);
  registerRunnerCommands(program);
  program
    .command('run')
    .description('run a command as a hub session: output becomes messages, web messages go to its stdin')
    .option('--name <name>', 'session name shown in the web app')
    .option('--started-by <who>', 'who started it (terminal, runner)', 'terminal')
    .option('--existing-session-id <id>', 'attach to this session id instead of creating a new one')
    .argument('<command...>', 'the command and its arguments (after --)')
    .passThroughOptions()
    .action((command: string[], opts: RunOptions) => runSession(command, opts));
  registerListCommands(program);
  registerAdminCommands(program);
  registerExportCommand(program);
  registerBackupCommands(program);
  registerImportHapiCommand(program);
  return program;
}

async function main(): Promise<void> {
  try {
    await buildProgram().parseAsync(process.argv);
  } catch (err) {
    if (err instanceof CommanderError) process.exit(err.exitCode);
    if (err instanceof CliError) {
      process.stderr.write(`teamhub: ${err.message}\n`);
      process.exit(err.exitCode);
    }
    process.stderr.write(`teamhub: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  }
}

await main();
