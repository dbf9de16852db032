#!/usr/bin/env node
// Compiles the hub's TypeScript (lib/, services/, gateway/, scripts/) ahead of time with tsc
// (tsconfig.build.json) into dist/, keeping the repository's layout (dist/services/session/main.js,
// dist/gateway/main.js, dist/lib/...), so `make run` starts plain `node` processes instead of
// compiling every file again in every process at start (what tsx does). Then each entry point
// is bundled in place (scripts/bundle-entries.mjs), so a process loads a few files, not ~900.
// Skips the build when dist/ is newer than every source, so `make run` costs nothing when nothing
// changed. Usage: node scripts/build.mjs [--force] [--quiet]
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleEntries } from './bundle-entries.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const stamp = path.join(dist, '.build-stamp');
const force = process.argv.includes('--force');
const quiet = process.argv.includes('--quiet');

/** The folders tsc compiles (tsconfig.build.json's `include`), and proto/, which dist/lib/grpc reads at run time. */
const SOURCE_DIRS = ['lib', 'services', 'gateway', 'scripts', 'proto'];
const SOURCE_FILES = ['tsconfig.json', 'tsconfig.build.json', 'package-lock.json', fileURLToPath(import.meta.url), fileURLToPath(new URL('./bundle-entries.mjs', import.meta.url))];

/**
 * Newest mtime under dir of the files `counts` accepts and of every folder: a folder's mtime
 * changes when a file in it is removed or renamed.
 */
function newestUnder(dir, counts) {
  let newest = statSync(dir).mtimeMs;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestUnder(full, counts));
    else if (counts(entry.name)) newest = Math.max(newest, statSync(full).mtimeMs);
  }
  return newest;
}

function newestSource() {
  // TypeScript is what tsc compiles; in proto/ every file is copied.
  const counts = (dir) => (dir === 'proto' ? () => true : (name) => name.endsWith('.ts'));
  const dirs = SOURCE_DIRS.filter((d) => existsSync(path.join(root, d)));
  const files = SOURCE_FILES.map((f) => path.resolve(root, f)).filter((f) => existsSync(f));
  return Math.max(...dirs.map((d) => newestUnder(path.join(root, d), counts(d))), ...files.map((f) => statSync(f).mtimeMs));
}

/** Removes compiled files whose source is gone (a moved or deleted .ts must not keep running from dist/). */
function pruneOrphans(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    const rel = path.relative(dist, full);
    if (rel === 'proto') continue;
    if (entry.isDirectory()) {
      pruneOrphans(full);
      if (readdirSync(full).length === 0) rmSync(full, { recursive: true });
    } else if (entry.name.endsWith('.js') && !existsSync(path.join(root, rel.replace(/\.js$/, '.ts')))) {
      rmSync(full);
    }
  }
}

if (!force && existsSync(stamp) && statSync(stamp).mtimeMs >= newestSource()) process.exit(0);

const started = Date.now();
const tsc = spawnSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(root, 'tsconfig.build.json')], {
  cwd: root,
  stdio: 'inherit',
});
if (tsc.status !== 0) {
  // No stamp: the next run tries again instead of starting code that did not compile.
  console.error('build: tsc failed (see above); nothing was started. Fix the errors, or run `npx tsc -p tsconfig.build.json`');
  process.exit(1);
}
mkdirSync(dist, { recursive: true });
// lib/grpc/server.ts finds the proto files at ../../proto from its own folder (server reflection);
// from dist/lib/grpc that is dist/proto.
rmSync(path.join(dist, 'proto'), { recursive: true, force: true });
cpSync(path.join(root, 'proto'), path.join(dist, 'proto'), { recursive: true });
pruneOrphans(dist);
try {
  await bundleEntries(root, dist);
} catch (err) {
  console.error(`build: bundling the entry points failed; nothing was started.\n${err.message}`);
  process.exit(1);
}
writeFileSync(stamp, `${new Date().toISOString()}\n`);
if (!quiet) console.log(`build: compiled the hub into dist/ (${((Date.now() - started) / 1000).toFixed(1)} s)`);
