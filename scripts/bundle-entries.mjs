// Bundles each process entry point of the compiled hub (dist/<entry>.js) with the hub's own
// modules and most of its packages into one file, written over the entry itself, so every path
// that starts a process (the launcher, the containers, the tests) stays the same.
// Why: a process that loads ~900 files through Node's module loader spends most of its start
// there (the gateway, up to its config check: 1.1 s of wall and of CPU, against 0.7 s and 0.6 s bundled), which
// a restart after a crash, every test hub and every container start pays.
// Code reached only through `import()` (the MongoDB stores) goes to a chunk of its own in
// dist/chunks/, loaded when it is imported, so a SQLite hub still never loads the MongoDB driver.
// Called by scripts/build.mjs after tsc.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';

/** The entry points `node` runs (scripts/hub-processes.ts, the Dockerfile and docker-compose.yml). */
export const BUNDLED_ENTRIES = [
  'scripts/run-local',
  'scripts/services-process',
  'gateway/main',
  'services/auth/main',
  'services/session/main',
  'services/machine/main',
  'services/notify/main',
];

/**
 * Packages loaded from node_modules as usual rather than bundled: each finds files next to its
 * own code at run time (`__dirname`: a native addon, proto files, worker scripts, the Socket.IO
 * client it serves), or is a driver only some hubs load (mongodb), or is loaded only on request,
 * or must be the same copy an unbundled package loads (grpc-js, which grpc-health-check builds on).
 * The build fails if a bundled file still refers to `__dirname` or `__filename`, so a package
 * that needs adding here is found at build time, not when its code first runs.
 */
const EXTERNAL = [
  'better-sqlite3',
  'mongodb',
  'pino',
  'pino-pretty',
  'thread-stream',
  'socket.io',
  // Ours extends its decoder and hands it to socket.io: one copy, the one socket.io loads.
  'socket.io-parser',
  'grpc-health-check',
  '@grpc/grpc-js',
  '@grpc/proto-loader',
  '@grpc/reflection',
  'web-push',
];

// CommonJS packages in an ES module bundle call `require` for Node's built-in modules.
const BANNER = "import { createRequire as __teamhubCreateRequire } from 'node:module'; const require = __teamhubCreateRequire(import.meta.url);";

/** Bundles the entries (paths in dist/ without `.js`) in place; throws with esbuild's message when it cannot. */
export async function bundleEntries(root, dist, entries = BUNDLED_ENTRIES) {
  const { build } = await import('esbuild');
  // Beside dist/, at its depth: the source maps' paths are relative, and stay right when the
  // files move from here into dist/.
  const out = path.join(path.dirname(dist), '.dist-bundle-tmp');
  rmSync(out, { recursive: true, force: true });
  rmSync(path.join(dist, 'chunks'), { recursive: true, force: true });
  await build({
    absWorkingDir: root,
    entryPoints: entries.map((e) => path.join(dist, `${e}.js`)),
    outbase: dist,
    outdir: out,
    bundle: true,
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: EXTERNAL,
    banner: { js: BANNER },
    // Maps from the bundles back to the compiled files, for the bench's profile analysis (Node
    // itself reads them only with --enable-source-maps).
    sourcemap: 'linked',
    sourcesContent: false,
    logLevel: 'error',
  });
  const written = filesUnder(out);
  const stray = written.filter((f) => f.endsWith('.js') && /\b__(dirname|filename)\b/.test(readFileSync(f, 'utf8')));
  if (stray.length) {
    rmSync(out, { recursive: true, force: true });
    throw new Error(`a bundled package uses __dirname or __filename (add it to EXTERNAL in scripts/bundle-entries.mjs): ${stray.map((f) => path.relative(out, f)).join(', ')}`);
  }
  for (const f of written) {
    const target = path.join(dist, path.relative(out, f));
    mkdirSync(path.dirname(target), { recursive: true });
    renameSync(f, target);
  }
  rmSync(out, { recursive: true, force: true });
}

function filesUnder(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath ?? e.path, e.name));
}
