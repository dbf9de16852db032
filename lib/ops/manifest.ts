import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

export const BACKUP_FORMAT = 'teamhub-backup';
export const BACKUP_VERSION = 1;
export const MANIFEST_FILE = 'manifest.json';
export const NATS_KV_FILE = 'nats-kv.json';

/** One copied file: its path inside the backup, size and SHA-256 (checked before a restore). */
export interface CopiedFile {
  path: string;
  bytes: number;
  sha256: string;
}

export interface BackupManifest {
  format: typeof BACKUP_FORMAT;
  version: typeof BACKUP_VERSION;
  /** When the copy began (ms): every write acknowledged before it is in the copy. */
  startedAt: number;
  finishedAt: number;
  /** Taken from a running hub (online backup API, KV read over NATS) or from a stopped one (files). */
  source: 'running' | 'stopped';
  /** `<svc>.db`, in the order they were copied (auth first: it holds the secrets). */
  databases: CopiedFile[];
  /** The data dir's other files: the internal secret, settings. */
  files: CopiedFile[];
  /** How NATS was kept: its KV buckets (running) or its store directory (stopped). */
  nats: { kind: 'kv'; file: CopiedFile; buckets: string[]; entries: number } | { kind: 'store'; files: CopiedFile[] } | { kind: 'none' };
}

export function sha256Of(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(file)
      .on('data', (c) => h.update(c))
      .on('end', () => resolve(h.digest('hex')))
      .on('error', reject);
  });
}
