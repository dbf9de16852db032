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
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
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

function testFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true }).filter((f) => String(f).endsWith('.test.ts'));
}

const statsDir = mkdtempSync(path.join(os.tmpdir(), 'teamhub-stats-'));
let current = null;
let interrupted = false;
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    interrupted = true;
    if (current) killGroup(current, 'SIGTERM');
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

/** Runs one tier's mocha in its own process group; resolves with its exit and whether it hit the limit. */
function runMocha(dir, statsFile, limitS) {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [MOCHA, '--reporter', './test/ci-reporter.cjs', `${dir}/**/*.test.ts`], {
      stdio: 'inherit',
      env: { ...process.env, ...(TIER_ENV[path.basename(dir)] ?? {}), TEAMHUB_TEST_STATS: statsFile },
      detached: true,
    });
    current = proc;
    let timedOut = false;
    let killTimer = null;
    const limitTimer = setTimeout(() => {
      timedOut = true;
      console.error(`\nrun-tests: the ${path.basename(dir)} tier hit its time limit (${limitS} s); stopping it and everything it started`);
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
      current = null;
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
  if (testFiles(dir).length === 0) {
    problems.push(`${tier}: no test files (*.test.ts) in ${dir}/`);
    failed += 1;
    console.log(`=== ${tier} tier: no tests found in ${dir}/; counted as 1 failed ===`);
    continue;
  }
  const statsFile = path.join(statsDir, `${tier}.json`);
  const started = Date.now();
  const res = await runMocha(dir, statsFile, limitS);
  const secs = Math.round((Date.now() - started) / 1000);
  const s = readStats(statsFile);
  if (!s) {
    problems.push(`${tier}: ended without a result (exit ${res.code ?? res.signal})${res.timedOut ? `, killed at its time limit of ${limitS} s` : ''}`);
    failed += 1;
    console.log(`=== ${tier} tier: no result (exit ${res.code ?? res.signal}); counted as 1 failed ===`);
    continue;
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
