// `teamhub backup <dir>` and `teamhub restore <dir>`: a `make run` hub's data dir, copied while it
// runs and brought back while it is stopped (lib/ops/backup.ts, lib/ops/restore.ts).
import path from 'node:path';
import type { Command } from 'commander';
import { backupHub, BackupError } from '../../lib/ops/backup.js';
import { restoreHub } from '../../lib/ops/restore.js';
import { CliError } from '../errors.js';

interface DataDirOpts {
  dataDir?: string;
}

/** The same default as `make run`: TEAMHUB_DATA_DIR, else ./.teamhub. */
function dataDirOf(opts: DataDirOpts): string {
  return path.resolve(opts.dataDir ?? (process.env.TEAMHUB_DATA_DIR?.trim() || '.teamhub'));
}

async function asCliError<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof BackupError) throw new CliError(err.message);
    throw err;
  }
}

const progress = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

export function registerBackupCommands(program: Command): void {
  program
    .command('backup')
    .description("copy a `make run` hub's data (databases, secrets, NATS KV) into <dir>, while it runs or stopped")
    .argument('<dir>', 'a new or empty directory outside the data dir')
    .option('--data-dir <dir>', 'the hub data dir (default: $TEAMHUB_DATA_DIR or ./.teamhub)')
    .action(async (dir: string, opts: DataDirOpts) => {
      await asCliError(() => backupHub({ dataDir: dataDirOf(opts), target: dir, progress }));
    });
  program
    .command('restore')
    .description('bring a stopped hub back to the state a `teamhub backup` directory holds')
    .argument('<dir>', 'a directory written by `teamhub backup`')
    .option('--data-dir <dir>', 'the hub data dir to restore into (default: $TEAMHUB_DATA_DIR or ./.teamhub)')
    .option('--overwrite', 'replace the data a stopped hub already has in the data dir')
    .action(async (dir: string, opts: DataDirOpts & { overwrite?: boolean }) => {
      await asCliError(() => restoreHub({ source: dir, dataDir: dataDirOf(opts), overwrite: opts.overwrite === true, progress }));
    });
}
