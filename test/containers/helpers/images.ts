import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { mustRun, REPO_ROOT, secondsSince } from './commands.js';
import type { Engine } from './engine.js';

const IMAGES_DIR = path.join(REPO_ROOT, 'test', 'containers', 'images');
const require = createRequire(import.meta.url);

export interface ImageBuilt {
  image: string;
  /** What it is for, in words. */
  role: string;
  /** false when it was already in the engine's store (the cache). */
  built: boolean;
  seconds: number;
}

/** The local images standing in for the official ones docker-compose.yml names. */
export interface StandIns {
  mongo: string;
  nats: string;
  caddy: string;
}

/**
 * localhost/debian:bookworm and the Node image (scripts/containers/base-images.sh, which
 * `scripts/setup.sh` also runs); fast when both are there.
 */
export async function ensureBaseImages(engine: Engine): Promise<ImageBuilt[]> {
  const has = async (image: string) => (await engine.podman(['image', 'exists', image])).code === 0;
  const before = { debian: await has('localhost/debian:bookworm'), node: await has('localhost/teamhub-standin/node:20') };
  const started = Date.now();
  await mustRun('bash', [path.join(REPO_ROOT, 'scripts', 'containers', 'base-images.sh')], { env: engine.env, timeoutMs: 600_000 });
  const seconds = secondsSince(started);
  return [
    { image: 'localhost/debian:bookworm', role: 'base image (debootstrap)', built: !before.debian, seconds: before.debian ? 0 : seconds },
    { image: 'localhost/teamhub-standin/node:20', role: "Node 20 from this machine's node", built: !before.node, seconds: before.node ? 0 : seconds },
  ];
}

interface StandInSpec {
  name: keyof StandIns;
  role: string;
  /** Files copied into the build context, with what they are (for the cache key). */
  context?: { file: string; as: string; version: string };
  network: 'host' | 'none';
}

function jongodbBinary(): { file: string; version: string } {
  const pkg = require.resolve('@jongodb/memory-server-bin-linux-x64-gnu/package.json');
  return { file: path.join(path.dirname(pkg), 'bin', 'jongodb'), version: (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version };
}

/**
 * Builds the stand-ins for mongo, nats and caddy from test/containers/images/*.Containerfile.
 * Each is tagged with a hash of its Containerfile and inputs, so an unchanged one is reused from
 * the store and a changed one is rebuilt; older tags of the same stand-in are removed.
 */
export async function ensureStandIns(engine: Engine): Promise<{ images: StandIns; report: ImageBuilt[] }> {
  const jongodb = jongodbBinary();
  const specs: StandInSpec[] = [
    { name: 'mongo', role: 'stands in for mongo:7 (MongoDB-wire test server)', context: { file: jongodb.file, as: 'jongodb', version: jongodb.version }, network: 'none' },
    { name: 'nats', role: "stands in for nats:2.10-alpine (Debian's nats-server)", network: 'host' },
    { name: 'caddy', role: "stands in for caddy:2 (Debian's caddy)", network: 'host' },
  ];
  const images = {} as StandIns;
  const report: ImageBuilt[] = [];
  for (const spec of specs) {
    const containerfile = path.join(IMAGES_DIR, `${spec.name}.Containerfile`);
    const key = createHash('sha256').update(readFileSync(containerfile)).update(spec.context ? `${spec.context.as}@${spec.context.version}` : '').digest('hex').slice(0, 12);
    const repo = `localhost/teamhub-standin/${spec.name}`;
    const image = `${repo}:${key}`;
    images[spec.name] = image;
    const started = Date.now();
    if ((await engine.podman(['image', 'exists', image])).code === 0) {
      report.push({ image, role: spec.role, built: false, seconds: 0 });
      continue;
    }
    const ctx = mkdtempSync(path.join(os.tmpdir(), `teamhub-standin-${spec.name}-`));
    try {
      if (spec.context) cpSync(spec.context.file, path.join(ctx, spec.context.as));
      // Debian's packages come from its mirror; a build with no context file needs no network.
      await engine.mustPodman(['build', '--quiet', `--network=${spec.network}`, '-f', containerfile, '-t', image, ctx], 600_000);
    } finally {
      rmSync(ctx, { recursive: true, force: true });
    }
    const old = (await engine.mustPodman(['images', '--format', '{{.Repository}}:{{.Tag}}', repo])).split('\n').filter((t) => t && t !== image);
    for (const tag of old) await engine.podman(['rmi', tag]);
    report.push({ image, role: spec.role, built: true, seconds: secondsSince(started) });
  }
  return { images, report };
}

/**
 * The image the project's Dockerfile takes as INSTALLED_IMAGE: the Node image plus the production
 * dependencies (every package-lock entry not marked dev), the built web page and the compiled hub
 * (dist/, brought up to date here first: scripts/build.mjs does nothing when it is), copied from
 * this checkout. The caller removes it when done.
 */
export async function buildInstalledImage(engine: Engine, image: string): Promise<ImageBuilt> {
  const started = Date.now();
  const webDist = path.join(REPO_ROOT, 'web', 'dist');
  if (!existsSync(path.join(webDist, 'index.html'))) throw new Error('web/dist is not built: run `node scripts/build-web.mjs` (make test does it first)');
  await mustRun(process.execPath, [path.join(REPO_ROOT, 'scripts', 'build.mjs'), '--quiet'], { timeoutMs: 600_000 });
  const dist = path.join(REPO_ROOT, 'dist');
  const lock = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean; optional?: boolean }> };
  const ctx = mkdtempSync(path.join(os.tmpdir(), 'teamhub-installed-'));
  try {
    const missing: string[] = [];
    for (const [key, entry] of Object.entries(lock.packages)) {
      if (!key.startsWith('node_modules/') || entry.dev) continue;
      const src = path.join(REPO_ROOT, key);
      if (!existsSync(src)) {
        if (!entry.optional) missing.push(key);
        continue;
      }
      // Nested node_modules are entries of their own in the lock file.
      cpSync(src, path.join(ctx, key), { recursive: true, filter: (p) => !p.slice(src.length).includes(`${path.sep}node_modules${path.sep}`) && !p.slice(src.length).endsWith(`${path.sep}node_modules`) });
    }
    if (missing.length) throw new Error(`node_modules is missing production packages (run npm ci): ${missing.slice(0, 5).join(', ')}`);
    cpSync(webDist, path.join(ctx, 'web-dist'), { recursive: true });
    cpSync(dist, path.join(ctx, 'dist'), { recursive: true });
    await engine.mustPodman(['build', '--quiet', '--network=none', '-f', path.join(IMAGES_DIR, 'installed.Containerfile'), '-t', image, ctx], 300_000);
  } finally {
    rmSync(ctx, { recursive: true, force: true });
  }
  return { image, role: "production node_modules, web/dist and dist/ from this checkout's install and build", built: true, seconds: secondsSince(started) };
}
