#!/usr/bin/env node
// Typechecks and builds the web page (web/ → web/dist) with Vite. Skips the build when web/dist is newer than
// every source file, so `make run` / `make test` cost nothing when the page did not change.
// Usage: node scripts/build-web.mjs [--force]
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const webDir = path.join(root, 'web');
const stamp = path.join(webDir, 'dist', 'index.html');
const force = process.argv.includes('--force');

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'dist' || entry.name === 'node_modules') continue;
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(full) : statSync(full).mtimeMs);
  }
  return newest;
}

const extra = [path.join(root, 'package-lock.json'), fileURLToPath(import.meta.url)];
const sourcesMs = Math.max(newestSource(webDir), ...extra.map((f) => statSync(f).mtimeMs));
if (!force && existsSync(stamp) && statSync(stamp).mtimeMs >= sourcesMs) process.exit(0);

// Vite does not typecheck; the page's own tsconfig (DOM types) is checked here first.
const tsc = spawnSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', webDir, '--noEmit'], { stdio: 'inherit' });
if (tsc.status !== 0) {
  console.error('build-web: the web page has type errors (npx tsc -p web)');
  process.exit(1);
}

const { build } = await import('vite');
await build({ configFile: path.join(webDir, 'vite.config.ts'), root: webDir, logLevel: 'warn' });
// The service worker must live at /sw.js (its scope is the folder it is served from) and be one
// classic script, so it is built on its own, after the page (which empties dist first).
await build({
  configFile: false,
  root: webDir,
  logLevel: 'warn',
  build: {
    outDir: 'dist',
    emptyOutDir: false,
    target: 'es2022',
    copyPublicDir: false,
    lib: { entry: path.join(webDir, 'src', 'sw', 'sw.ts'), formats: ['iife'], name: 'teamhubServiceWorker', fileName: () => 'sw.js' },
  },
});
console.log('build-web: built web/dist');
