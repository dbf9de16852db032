import Database from 'better-sqlite3';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { connect } from '@nats-io/transport-node';
import { BACKUP_INBOX_PREFIX, BACKUP_NATS_USER, LAUNCHER_PID_FILE, NATS_AUTH_DIR, RUNTIME_FILE, runningLauncher } from './hub-state.js';
import { BACKUP_FORMAT, BACKUP_VERSION, MANIFEST_FILE, NATS_KV_FILE, sha256Of, type BackupManifest, type CopiedFile } from './manifest.js';
import { readKeptBuckets } from './nats-kv.js';

export class BackupError extends Error {}

export interface BackupOptions {
  dataDir: string;
  target: string;
  /** One line per step (the CLI prints them). */
  progress?: (line: string) => void;
  now?: () => number;
}

/** The services' files first in this order (auth holds the secrets), then any other `*.db`. */
const DB_ORDER = ['auth.db', 'session.db', 'machine.db'];
/**
 * What a backup never copies: the running launcher's own state, SQLite's side files, NATS's store
 * (handled apart) and the NATS passwords (the launcher writes new ones at every start).
 */
const SKIPPED = new Set([LAUNCHER_PID_FILE, RUNTIME_FILE, 'nats', NATS_AUTH_DIR]);

function databasesOf(dataDir: string): string[] {
  const dbs = readdirSync(dataDir).filter((f) => f.endsWith('.db') && statSync(path.join(dataDir, f)).isFile());
  return dbs.sort((a, b) => {
    const ia = DB_ORDER.indexOf(a);
    const ib = DB_ORDER.indexOf(b);
    return (ia < 0 ? DB_ORDER.length : ia) - (ib < 0 ? DB_ORDER.length : ib) || (a < b ? -1 : 1);
  });
}

async function copied(root: string, rel: string): Promise<CopiedFile> {
  const file = path.join(root, rel);
  return { path: rel, bytes: statSync(file).size, sha256: await sha256Of(file) };
}

/**
 * A consistent copy of one SQLite file with the online backup API, while its service keeps
 * writing: each step copies every remaining page at once, so a write from the service between
 * steps restarts the copy at most once more, and what lands is one committed state (WAL included).
 */
async function backupDatabase(source: string, dest: string): Promise<void> {
  const db = new Database(source, { readonly: true, fileMustExist: true });
  try {
    await db.backup(dest, { progress: () => 0x7fffffff });
  } finally {
    db.close();
  }
}

/**
 * The password the launcher wrote for the backup's NATS user at this start (the hub's nats-server
 * refuses a client without a user). Read from its file, never taken from a command line.
 */
function backupPassword(dataDir: string): string {
  const file = path.join(dataDir, NATS_AUTH_DIR, `${BACKUP_NATS_USER}.password`);
  let pass = '';
  try {
    pass = readFileSync(file, 'utf8').trim();
  } catch {
    pass = '';
  }
  if (!pass) throw new BackupError(`the running hub on ${dataDir} has no NATS user for backups (${path.join(NATS_AUTH_DIR, `${BACKUP_NATS_USER}.password`)} is missing); restart it with this version`);
  return pass;
}

function filesUnder(root: string, rel = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(path.join(root, rel))) {
    const r = path.join(rel, name);
    const st = statSync(path.join(root, r));
    if (st.isDirectory()) out.push(...filesUnder(root, r));
    else if (st.isFile()) out.push(r);
  }
  return out;
}

/**
 * `teamhub backup <dir>`: copies a `make run` hub's data dir into `target` (a new or empty
 * directory), running or stopped. Running: each service's SQLite file through the online backup
 * API, the KV buckets a restart needs (nats-kv.ts) read over NATS, and the secrets; the hub keeps
 * serving meanwhile. Stopped: the same files plus NATS's store directory as it is. Every write
 * acknowledged before the backup started is in it. Writes `manifest.json` last, so a backup
 * without one is incomplete.
 */
export async function backupHub(opts: BackupOptions): Promise<BackupManifest> {
  const now = opts.now ?? Date.now;
  const say = opts.progress ?? (() => undefined);
  const dataDir = path.resolve(opts.dataDir);
  const target = path.resolve(opts.target);
  if (!existsSync(dataDir)) throw new BackupError(`the data dir ${dataDir} does not exist`);
  if (target === dataDir || target.startsWith(`${dataDir}${path.sep}`)) throw new BackupError('the backup must go outside the data dir');
  if (existsSync(target) && readdirSync(target).length > 0) throw new BackupError(`${target} is not empty; back up into a new or empty directory`);
  const databases = databasesOf(dataDir);
  if (databases.length === 0) throw new BackupError(`no service database (*.db) in ${dataDir}: is it a teamhub data dir?`);
  mkdirSync(target, { recursive: true, mode: 0o700 });

  const launcher = runningLauncher(dataDir);
  const startedAt = now();
  say(`backing up ${dataDir} (${launcher ? `running hub, launcher pid ${launcher.pid}` : 'stopped hub'})`);

  const dbCopies: CopiedFile[] = [];
  for (const name of databases) {
    await backupDatabase(path.join(dataDir, name), path.join(target, name));
    dbCopies.push(await copied(target, name));
    say(`  ${name}: ${dbCopies.at(-1)!.bytes} bytes`);
  }

  const files: CopiedFile[] = [];
  for (const name of readdirSync(dataDir)) {
    if (SKIPPED.has(name) || /\.db(-wal|-shm|-journal)?$/.test(name)) continue;
    const st = statSync(path.join(dataDir, name));
    if (!st.isFile()) continue;
    copyFileSync(path.join(dataDir, name), path.join(target, name));
    files.push(await copied(target, name));
    say(`  ${name}`);
  }

  let nats: BackupManifest['nats'] = { kind: 'none' };
  if (launcher) {
    if (!launcher.natsUrl) throw new BackupError(`the hub on ${dataDir} runs but its ${RUNTIME_FILE} does not say where its NATS is; restart it with this version`);
    const pass = backupPassword(dataDir);
    const nc = await connect({ servers: launcher.natsUrl, name: 'teamhub-backup', timeout: 5000, user: BACKUP_NATS_USER, pass, inboxPrefix: BACKUP_INBOX_PREFIX }).catch((err: unknown) => {
      throw new BackupError(`cannot reach the hub's NATS at ${launcher.natsUrl} as user ${BACKUP_NATS_USER}: ${String(err)}`);
    });
    try {
      const buckets = await readKeptBuckets(nc);
      writeFileSync(path.join(target, NATS_KV_FILE), `${JSON.stringify(buckets)}\n`, { mode: 0o600 });
      const entries = buckets.reduce((n, b) => n + b.entries.length, 0);
      nats = { kind: 'kv', file: await copied(target, NATS_KV_FILE), buckets: buckets.map((b) => b.bucket), entries };
      say(`  NATS KV: ${buckets.map((b) => `${b.bucket} (${b.entries.length})`).join(', ') || 'no bucket yet'}`);
    } finally {
      await nc.close();
    }
  } else if (existsSync(path.join(dataDir, 'nats'))) {
    const natsFiles: CopiedFile[] = [];
    for (const rel of filesUnder(path.join(dataDir, 'nats'))) {
      const dest = path.join(target, 'nats', rel);
      mkdirSync(path.dirname(dest), { recursive: true, mode: 0o700 });
      copyFileSync(path.join(dataDir, 'nats', rel), dest);
      natsFiles.push(await copied(target, path.join('nats', rel)));
    }
    nats = { kind: 'store', files: natsFiles };
    say(`  NATS store: ${natsFiles.length} files`);
  }

  const manifest: BackupManifest = { format: BACKUP_FORMAT, version: BACKUP_VERSION, startedAt, finishedAt: now(), source: launcher ? 'running' : 'stopped', databases: dbCopies, files, nats };
  writeFileSync(path.join(target, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
  say(`backup complete: ${target}`);
  return manifest;
}
