#!/usr/bin/env node
// Runs the test tiers with mocha, one after another, then prints one closing line
// "N passed, N failed" summed over all tiers. Exits non-zero when any test failed, a hook failed
// (the tests it kept from running count as failed), a tier crashed, hit its time limit or has no
// tests, or no test ran at all.
// Usage: node scripts/run-tests.mjs [tier ...]   (tiers: static unit integration badinput e2e faults browser surface containers; default all)
// Each tier has a time limit (TIER_LIMITS_S below), overridable with TEAMHUB_TIER_TIMEOUT_<TIER>
// in seconds (e.g. TEAMHUB_TIER_TIMEOUT_E2E=3600). A tier that hits it is stopped with its whole
// process group (SIGTERM, SIGKILL 10 s later), and every test it had not finished counts as failed.
// TEAMHUB_TEST_ROOT (default test/) is where the tier folders are.
// A tier in TIER_SHARDS runs as that many mocha processes at once, each on its share of the
// files (TEAMHUB_TIER_SHARDS_<TIER> changes it; 1 runs it as one). Each shard picks its loopback
// ports from its own slice of the range (TEAMHUB_LOOPBACK_PORTS), so two shards never pick the
// same one. The first shard's output is shown as it runs, the others' when they end.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

process.chdir(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..'));

/** The tiers in the order they run, each with its default time limit in seconds (about 3× a run on a busy 2-core machine). */
const TIER_LIMITS_S = { static: 600, unit: 300, integration: 900, badinput: 600, e2e: 1800, faults: 900, browser: 900, surface: 600, containers: 1200 };
/**
 * The surface tier checks HAPI 0.30.7's whole client surface (test/surface/); in `make test` it runs
 * against teamhub. SURFACE_HUB=hapi runs the same checks against the real HAPI hub, which is how its
 * tables were proven.
 */
const TIER_ENV = { surface: { SURFACE_HUB: process.env.SURFACE_HUB || 'teamhub' } };
const ALL_TIERS = Object.keys(TIER_LIMITS_S);
/**
 * These tiers wait on timers, processes starting, sockets and a browser more than they compute
 * (about one core busy of two), so two shards at once take them, on 2 cores, from about 550 s
 * to 260 s (e2e), 120 s to 76 s (integration) and 176 s to 88 s (browser).
 */
const TIER_SHARDS = { integration: 2, e2e: 2, browser: 2 };
const KILL_GRACE_MS = 10_000;
const MOCHA = path.join('node_modules', 'mocha', 'bin', 'mocha.js');
const root = process.env.TEAMHUB_TEST_ROOT || 'test';

function usageError(message) {
  console.error(`run-tests: ${message}`);
  process.exit(2);
}

const asked = process.argv.slice(2);
const unknown = asked.filter((t) => !ALL_TIERS.includes(t));
if (unknown.length) {
  usageError(`unknown test tier${unknown.length > 1 ? 's' : ''} ${unknown.map((t) => JSON.stringify(t)).join(', ')}; the tiers are: ${ALL_TIERS.join(' ')}`);
}
const tiers = asked.length ? ALL_TIERS.filter((t) => asked.includes(t)) : ALL_TIERS;

function limitSeconds(tier) {
  const name = `TEAMHUB_TIER_TIMEOUT_${tier.toUpperCase()}`;
  const raw = process.env[name];
  if (raw === undefined || raw === '') return TIER_LIMITS_S[tier];
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) usageError(`${name} must be a whole number of seconds >= 1, got ${JSON.stringify(raw)}`);
  return n;
}
const limits = Object.fromEntries(tiers.map((t) => [t, limitSeconds(t)]));

function shardCount(tier) {
  const name = `TEAMHUB_TIER_SHARDS_${tier.toUpperCase()}`;
  const raw = process.env[name];
  if (raw === undefined || raw === '') return TIER_SHARDS[tier] ?? 1;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 8) usageError(`${name} must be a whole number from 1 to 8, got ${JSON.stringify(raw)}`);
  return n;
}
const shardCounts = Object.fromEntries(tiers.map((t) => [t, shardCount(t)]));

/** Files dealt out largest first to the shard with the fewest bytes so far (bytes stand in for run time). */
function shardFiles(files, n) {
  const shards = Array.from({ length: n }, () => ({ files: [], bytes: 0 }));
  const sized = files.map((f) => ({ f, bytes: statSync(f).size })).sort((a, b) => b.bytes - a.bytes || a.f.localeCompare(b.f));
  for (const { f, bytes } of sized) {
    const least = shards.reduce((a, b) => (b.bytes < a.bytes ? b : a));
    least.files.push(f);
    least.bytes += bytes;
  }
  return shards.map((x) => x.files.sort()).filter((x) => x.length > 0);
}

/** Shard k of n's slice of the loopback port range the launcher picks from (scripts/local-hub.ts). */
function portSlice(k, n) {
  const [low, high] = [10_000, ephemeralPortsStart() - 1];
  const size = Math.floor((high - low + 1) / n);
  return `${low + k * size}-${low + (k + 1) * size - 1}`;
}

function ephemeralPortsStart() {
  try {
    const first = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(first) && first > 0 ? first : 32_768;
  } catch {
    return 32_768;
  }
}

function testFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true })
    .filter((f) => String(f).endsWith('.test.ts'))
    .map((f) => path.join(dir, String(f)))
    .sort();
}

const statsDir = mkdtempSync(path.join(os.tmpdir(), 'teamhub-stats-'));
const running = new Set();
let interrupted = false;
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    interrupted = true;
    if (running.size) for (const proc of running) killGroup(proc, 'SIGTERM');
    else process.exit(130);
  });
}

function killGroup(proc, signal) {
  try {
    process.kill(-proc.pid, signal);
  } catch {
    // the group is gone already
  }
}

function groupAlive(proc) {
  try {
    process.kill(-proc.pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs mocha on one tier's files (or one shard's) in its own process group; resolves with its
 * exit and whether it hit the limit. Its output goes to ours, or to `outputFile` when given.
 */
function runMocha(tier, files, statsFile, limitS, { env = {}, outputFile = null } = {}) {
  return new Promise((resolve) => {
    const out = outputFile ? openSync(outputFile, 'w') : 'inherit';
    const proc = spawn(process.execPath, [MOCHA, '--reporter', './test/ci-reporter.cjs', ...files], {
      stdio: ['inherit', out, out],
      env: { ...process.env, ...(TIER_ENV[tier] ?? {}), ...env, TEAMHUB_TEST_STATS: statsFile },
      detached: true,
    });
    if (outputFile) closeSync(out);
    running.add(proc);
    let timedOut = false;
    let killTimer = null;
    const limitTimer = setTimeout(() => {
      timedOut = true;
      console.error(`\nrun-tests: the ${tier} tier hit its time limit (${limitS} s); stopping it and everything it started`);
      killGroup(proc, 'SIGTERM');
      killTimer = setTimeout(() => killGroup(proc, 'SIGKILL'), KILL_GRACE_MS);
    }, limitS * 1000);
    proc.once('exit', async (code, signal) => {
      clearTimeout(limitTimer);
      // Whatever the tier left in its group (a launcher still stopping its children, a server a
      // test started) gets the grace period to finish, then goes with it.
      const deadline = Date.now() + KILL_GRACE_MS;
      while (groupAlive(proc) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      killGroup(proc, 'SIGKILL');
      if (killTimer) clearTimeout(killTimer);
      running.delete(proc);
      resolve({ code, signal, timedOut });
    });
  });
}

/** A test file's path relative to the repository when it is inside it. */
function shortPath(file) {
  const rel = path.relative('.', file);
  return rel.startsWith('..') ? file : rel;
}

function readStats(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

let passed = 0;
let failed = 0;
let skipped = 0;
const problems = [];
for (const tier of tiers) {
  if (interrupted) break;
  const dir = path.join(root, tier);
  const limitS = limits[tier];
  console.log(`\n=== ${tier} tests (time limit ${limitS} s; TEAMHUB_TIER_TIMEOUT_${tier.toUpperCase()} changes it) ===`);
  const files = testFiles(dir);
  if (files.length === 0) {
    problems.push(`${tier}: no test files (*.test.ts) in ${dir}/`);
    failed += 1;
    console.log(`=== ${tier} tier: no tests found in ${dir}/; counted as 1 failed ===`);
    continue;
  }
  const shards = shardFiles(files, shardCounts[tier]);
  const started = Date.now();
  const results = await Promise.all(
    shards.map((share, k) => {
      const statsFile = path.join(statsDir, `${tier}-${k}.json`);
      const took = () => Math.round((Date.now() - started) / 1000);
      if (shards.length === 1) return runMocha(tier, share, statsFile, limitS).then((res) => ({ res, statsFile, label: tier, secs: took() }));
      const outputFile = k === 0 ? null : path.join(statsDir, `${tier}-${k}.log`);
      const env = { TEAMHUB_LOOPBACK_PORTS: portSlice(k, shards.length) };
      if (k === 0) console.log(`(${tier} runs as ${shards.length} shards at once: shard 1's output follows as it runs, the others' when they end)`);
      return runMocha(tier, share, statsFile, limitS, { env, outputFile }).then((res) => ({ res, statsFile, outputFile, label: `${tier} shard ${k + 1} of ${shards.length}`, secs: took() }));
    }),
  );
  for (const r of results) {
    if (!r.outputFile) continue;
    console.log(`\n--- ${r.label} (${shards[results.indexOf(r)].length} files) ---`);
    process.stdout.write(readFileSync(r.outputFile, 'utf8'));
  }
  for (const { res, statsFile, label, secs } of results) account(label, res, statsFile, limitS, secs);
}

/** Adds one mocha run's result (a tier, or a shard of one) to the totals and the problems. */
function account(tier, res, statsFile, limitS, secs) {
  const s = readStats(statsFile);
  if (!s) {
    problems.push(`${tier}: ended without a result (exit ${res.code ?? res.signal})${res.timedOut ? `, killed at its time limit of ${limitS} s` : ''}`);
    failed += 1;
    console.log(`=== ${tier} tier: no result (exit ${res.code ?? res.signal}); counted as 1 failed ===`);
    return;
  }
  let tierFailed = s.failures;
  const notes = [];
  if (s.blockedTests > 0) notes.push(`${s.blockedTests} of them blocked by a failed hook`);
  if (!s.ended) {
    // Killed (time limit) or crashed mid-run: every test that had not finished is a failure.
    const unfinished = Math.max(s.total - s.passes - s.failedTests - s.pending, 0);
    tierFailed = s.failedTests + unfinished + s.failedHooks;
    const why = res.timedOut ? `killed at its time limit of ${limitS} s` : `stopped mid-run (exit ${res.code ?? res.signal})`;
    notes.push(`${why}; ${unfinished} test${unfinished === 1 ? '' : 's'} did not finish`);
    problems.push(`${tier}: ${why}`);
  } else if (res.code !== 0 && tierFailed === 0) {
    problems.push(`${tier}: mocha exited ${res.code ?? res.signal} with no failing test`);
    tierFailed = 1;
    notes.push(`mocha exited ${res.code ?? res.signal}; counted as 1 failed`);
  }
  if (s.blockedTests > 0) problems.push(`${tier}: ${s.blockedTests} tests did not run because a hook failed`);
  for (const f of s.failureList ?? []) problems.push(`${tier}: failed: ${f.title}${f.file ? ` (${shortPath(f.file)})` : ''}${f.error ? `: ${f.error}` : ''}`);
  console.log(`=== ${tier} tier: ${s.passes} passing, ${tierFailed} failing${notes.length ? ` (${notes.join('; ')})` : ''} (${secs} s) ===`);
  passed += s.passes;
  failed += tierFailed;
  skipped += s.pending;
}
rmSync(statsDir, { recursive: true, force: true });
if (interrupted) problems.push('interrupted');
if (passed === 0 && failed === 0) problems.push('no test ran');
if (problems.length) {
  console.log('\nproblems:');
  for (const p of problems) console.log(`  - ${p}`);
}
console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || passed === 0 || interrupted ? 1 : 0);
