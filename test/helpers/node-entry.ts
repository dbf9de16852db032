import path from 'node:path';
import { ensureBuilt, REPO_ROOT } from '../../scripts/local-hub.js';

let built = false;

/** Compiles the hub into dist/ once per test process (a no-op check when no source changed). */
export function ensureBuiltOnce(): void {
  if (built) return;
  ensureBuilt(() => {});
  built = true;
}

/**
 * The arguments for `node` that run a hub entry point (`'services/session/main'`) the way `make
 * run` and the containers do: its compiled file in dist/, built first when a source is newer.
 * Compiling once per test process instead of in every started process (what `--import tsx`
 * did) takes about half a second of CPU and 30-50 MiB off each of the hundreds of service and
 * gateway processes the tiers start.
 */
export function nodeEntry(entry: string): string[] {
  ensureBuiltOnce();
  return [path.join(REPO_ROOT, 'dist', `${entry}.js`)];
}
