import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { connect } from '@nats-io/transport-node';
import { BackupError } from './backup.js';
import { runningLauncher } from './hub-state.js';
import { BACKUP_FORMAT, BACKUP_VERSION, MANIFEST_FILE, sha256Of, type BackupManifest, type CopiedFile } from './manifest.js';
import { writeBuckets, type BucketCopy } from './nats-kv.js';

export interface RestoreOptions {
  /** A directory `teamhub backup` wrote. */
  source: string;
  /** The data dir of the hub to bring back (stopped). */
  dataDir: string;
  /** Replace the data a stopped hub already has there (without it, a non-empty data dir is refused). */
  overwrite?: boolean;
  progress?: (line: string) => void;
  /** The nats-server binary that puts the KV buckets back into the restored NATS store. */
  natsServer?: string;
}

/** What a hub's data dir holds that a restore replaces. */
function isHubData(name: string): boolean {
  return name === 'nats' || /\.db(-wal|-shm|-journal)?$/.test(name);
}

export function readManifest(source: string): BackupManifest {
  const file = path.join(source, MANIFEST_FILE);
  if (!existsSync(file)) throw new BackupError(`${source} has no ${MANIFEST_FILE}: it is not a teamhub backup, or the backup did not finish`);
  let m: BackupManifest;
  try {
    m = JSON.parse(readFileSync(file, 'utf8')) as BackupManifest;
  } catch (err) {
    throw new BackupError(`${file} is not valid JSON: ${String(err)}`);
  }
  if (m.format !== BACKUP_FORMAT) throw new BackupError(`${file} is not a teamhub backup manifest`);
  if (m.version !== BACKUP_VERSION) throw new BackupError(`backup format version ${String(m.version)} is not supported (this teamhub reads version ${BACKUP_VERSION})`);
  return m;
}

function copiedFilesOf(m: BackupManifest): CopiedFile[] {
  const out = [...m.databases, ...m.files];
  if (m.nats.kind === 'kv') out.push(m.nats.file);
  if (m.nats.kind === 'store') out.push(...m.nats.files);
  return out;
}

/** Every file the manifest names is there with its size and checksum: a damaged backup is refused before anything is touched. */
async function verify(source: string, m: BackupManifest): Promise<void> {
  for (const f of copiedFilesOf(m)) {
    const file = path.join(source, f.path);
    if (path.relative(source, file).startsWith('..')) throw new BackupError(`the manifest names a file outside the backup: ${f.path}`);
    if (!existsSync(file)) throw new BackupError(`the backup is missing ${f.path}`);
    if ((await sha256Of(file)) !== f.sha256) throw new BackupError(`${f.path} in the backup is damaged (its checksum differs from the manifest's)`);
  }
}

function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

/**
 * Puts the kept KV buckets into the restored data dir's NATS store: a nats-server of our own on
 * that store directory (loopback, a free port, the same server name the launcher gives it), which
 * writes them to disk and is stopped again, so the hub finds them when it starts.
 */
async function restoreBuckets(dataDir: string, buckets: BucketCopy[], natsServer: string): Promise<number> {
  const port = await freeLoopbackPort();
  const storeDir = path.join(dataDir, 'nats');
  mkdirSync(storeDir, { recursive: true, mode: 0o700 });
  const proc = spawn(natsServer, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir, '-n', 'teamhub-local'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  try {
    await new Promise<void>((resolve, reject) => {
      let seen = '';
      proc.once('error', (err) => reject(new BackupError(`cannot start ${natsServer} to restore the NATS KV buckets: ${err.message}`)));
      proc.once('exit', (code) => reject(new BackupError(`${natsServer} exited (code ${String(code)}) before it was ready: ${seen.slice(-500)}`)));
      proc.stderr!.on('data', (c: Buffer) => {
        seen = (seen + c.toString()).slice(-4096);
        if (seen.includes('Server is ready')) resolve();
      });
    });
    const nc = await connect({ servers: `nats://127.0.0.1:${port}`, name: 'teamhub-restore', timeout: 5000 });
    try {
      return await writeBuckets(nc, buckets);
    } finally {
      await nc.close();
    }
  } finally {
    proc.kill('SIGTERM');
    await exited;
  }
}

/**
 * `teamhub restore <dir>`: brings a stopped hub's data dir back to the state a backup holds.
 * Refuses while a launcher runs on the data dir, and refuses a data dir that already holds hub
 * data unless `overwrite` (then that data is removed first). The backup is checked (checksums)
 * before anything in the data dir is touched.
 */
export async function restoreHub(opts: RestoreOptions): Promise<BackupManifest> {
  const say = opts.progress ?? (() => undefined);
  const source = path.resolve(opts.source);
  const dataDir = path.resolve(opts.dataDir);
  const m = readManifest(source);
  await verify(source, m);
  const launcher = runningLauncher(dataDir);
  if (launcher) throw new BackupError(`a hub is running on ${dataDir} (launcher pid ${launcher.pid}); stop it before restoring`);
  const present = existsSync(dataDir) ? readdirSync(dataDir) : [];
  const replaced = present.filter((n) => isHubData(n) || m.files.some((f) => f.path === n));
  if (replaced.length > 0 && !opts.overwrite) {
    throw new BackupError(`${dataDir} already holds hub data (${replaced.join(', ')}); restore into a new directory, or pass --overwrite to replace it`);
  }
  for (const n of replaced) rmSync(path.join(dataDir, n), { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  say(`restoring ${source} (taken ${new Date(m.startedAt).toISOString()} from a ${m.source} hub) into ${dataDir}`);

  for (const f of [...m.databases, ...m.files]) {
    copyFileSync(path.join(source, f.path), path.join(dataDir, f.path));
    say(`  ${f.path}`);
  }
  if (m.nats.kind === 'store') {
    for (const f of m.nats.files) {
      const dest = path.join(dataDir, f.path);
      mkdirSync(path.dirname(dest), { recursive: true, mode: 0o700 });
      copyFileSync(path.join(source, f.path), dest);
    }
    say(`  NATS store: ${m.nats.files.length} files`);
  } else if (m.nats.kind === 'kv') {
    const buckets = JSON.parse(readFileSync(path.join(source, m.nats.file.path), 'utf8')) as BucketCopy[];
    const n = await restoreBuckets(dataDir, buckets, opts.natsServer ?? 'nats-server');
    say(`  NATS KV: ${n} entries in ${buckets.length} buckets`);
  }
  say(`restore complete: start the hub with TEAMHUB_DATA_DIR=${dataDir}`);
  return m;
}
