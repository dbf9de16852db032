#!/usr/bin/env node
// Runs every test tier with mocha, then prints one closing line "N passed, N failed" summed over
// all tiers. Exits non-zero when any tier fails, a tier crashes, or no test ran at all.
// Usage: node scripts/run-tests.mjs [tier ...]   (tiers: static unit integration e2e browser)
// The static tier (typecheck, generated code, buf lint, compose file, no machine paths) runs first.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

process.chdir(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..'));

const ALL_TIERS = ['static', 'unit', 'integration', 'e2e', 'browser'];
const MOCHA = path.join('node_modules', 'mocha', 'bin', 'mocha.js');
const tiers = process.argv.slice(2).length ? process.argv.slice(2) : ALL_TIERS;
const statsDir = mkdtempSync(path.join(os.tmpdir(), 'teamhub-stats-'));

function hasTests(dir) {
  if (!existsSync(dir)) return false;
  return readdirSync(dir, { recursive: true }).some((f) => String(f).endsWith('.test.ts'));
}

let passed = 0;
let failed = 0;
let skipped = 0;
let broken = false;
for (const tier of tiers) {
  const dir = path.join('test', tier);
  if (!hasTests(dir)) continue;
  const statsFile = path.join(statsDir, `${tier}.json`);
  console.log(`\n=== ${tier} tests ===`);
  const started = Date.now();
  const res = spawnSync(process.execPath, [MOCHA, '--reporter', './test/ci-reporter.cjs', `${dir}/**/*.test.ts`], {
    stdio: 'inherit',
    env: { ...process.env, TEAMHUB_TEST_STATS: statsFile },
  });
  if (!existsSync(statsFile)) {
    console.error(`tier ${tier} ended without a result (exit ${res.status ?? res.signal})`);
    broken = true;
    failed += 1;
    continue;
  }
  const s = JSON.parse(readFileSync(statsFile, 'utf8'));
  console.log(`=== ${tier} tier: ${s.passes} passing, ${s.failures} failing (${Math.round((Date.now() - started) / 1000)} s) ===`);
  passed += s.passes;
  failed += s.failures;
  skipped += s.pending;
  if (res.status !== 0 && s.failures === 0) broken = true;
}
console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || broken || passed === 0 ? 1 : 0);
