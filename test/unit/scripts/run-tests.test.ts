import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../../../scripts/local-hub.js';

/**
 * The test runner (`make test` = scripts/run-tests.mjs) run on fixture tiers written to a temp
 * folder (TEAMHUB_TEST_ROOT): what its closing line counts, and how it ends.
 */

interface RunResult {
  code: number | null;
  out: string;
}

function runTests(args: string[], env: Record<string, string>): Promise<RunResult> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [path.join(REPO_ROOT, 'scripts/run-tests.mjs'), ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    proc.stdout.on('data', (b: Buffer) => (out += b.toString('utf8')));
    proc.stderr.on('data', (b: Buffer) => (out += b.toString('utf8')));
    proc.once('close', (code) => resolve({ code, out }));
  });
}

/** The fixture run's output for an assertion message, its closing line defused so that `make test`'s own output keeps exactly one. */
const shown = (out: string) => out.replace(/^(\d+ passed, \d+ failed)/gm, '(fixture) $1');
const closingLines = (out: string) => out.split('\n').filter((l) => /^\d+ passed, \d+ failed/.test(l));

function write(root: string, rel: string, text: string): void {
  mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  writeFileSync(path.join(root, rel), text);
}

const TWELVE_BEHIND_A_FAILING_BEFORE = `
describe('twelve tests behind a failing before hook', () => {
  before(() => { throw new Error('database not reachable'); });
  for (let i = 1; i <= 12; i++) it('blocked test ' + i, () => {});
});
`;
const TWO_PASSING = `
describe('two fine tests', () => {
  it('one', () => {});
  it('two', () => {});
});
`;
const FAILING_AFTER = `
describe('a test whose after hook fails', () => {
  after(() => { throw new Error('cleanup failed'); });
  it('passes itself', () => {});
});
`;
/** Passes one test, then hangs with a child process of its own (its pid in a file), never finishing. */
const HANG = (pidFile: string) => `
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
describe('a tier that hangs', () => {
  it('finishes', () => {});
  it('hangs with a child process', function () {
    this.timeout(0);
    const child = spawn('sleep', ['300'], { stdio: 'ignore' });
    writeFileSync(${JSON.stringify(pidFile)}, String(child.pid));
    return new Promise(() => {});
  });
  it('never reached', () => {});
});
`;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('test runner (make test)', function () {
  this.timeout(120_000);
  let root: string;

  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'run-tests-fixture-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('when a before hook fails in a file of 12 tests, an after hook fails, a tier hangs and a tier has no tests, then each counts as failed and the one closing line says so', async () => {
    write(root, 'unit/blocked.test.ts', TWELVE_BEHIND_A_FAILING_BEFORE);
    write(root, 'unit/fine.test.ts', TWO_PASSING);
    write(root, 'unit/after.test.ts', FAILING_AFTER);
    const pidFile = path.join(root, 'hang.pid');
    write(root, 'integration/hang.test.ts', HANG(pidFile));
    mkdirSync(path.join(root, 'e2e'));
    const started = Date.now();
    const r = await runTests(['unit', 'integration', 'e2e'], { TEAMHUB_TEST_ROOT: root, TEAMHUB_TIER_TIMEOUT_INTEGRATION: '4' });

    expect(r.code, shown(r.out)).to.equal(1);
    // unit: 3 passed; 12 blocked + 1 failed after hook = 13 failed.
    expect(r.out).to.include('=== unit tier: 3 passing, 13 failing (12 of them blocked by a failed hook)');
    expect(r.out).to.include('12 blocked (did not run because a hook failed; counted as failed)');
    expect(r.out).to.include('twelve tests behind a failing before hook "before all" hook');
    expect(r.out).to.include('- twelve tests behind a failing before hook blocked test 12');
    // integration: 1 passed; the hanging test and the one after it did not finish.
    expect(r.out).to.include('=== integration tests (time limit 4 s; TEAMHUB_TIER_TIMEOUT_INTEGRATION changes it) ===');
    expect(r.out).to.include('run-tests: the integration tier hit its time limit (4 s); stopping it and everything it started');
    expect(r.out).to.match(/=== integration tier: 1 passing, 2 failing \(killed at its time limit of 4 s; 2 tests did not finish\)/);
    expect(Date.now() - started, 'the hang was cut short').to.be.below(60_000);
    const hangChild = Number(readFileSync(pidFile, 'utf8'));
    expect(alive(hangChild), 'the hanging tier’s own child process was killed with its group').to.equal(false);
    // e2e: no tests at all is a failure, not a silent skip.
    expect(r.out).to.include(`=== e2e tier: no tests found in ${path.join(root, 'e2e')}/; counted as 1 failed ===`);

    expect(closingLines(r.out)).to.deep.equal(['4 passed, 16 failed']);
    expect(r.out.trimEnd().split('\n').at(-1)).to.equal('4 passed, 16 failed');
    // The closing lines name each failure with its file and first message line, so a log's tail alone tells what failed.
    const tail = r.out.slice(r.out.lastIndexOf('problems:'));
    expect(tail).to.include('  - unit: 12 tests did not run because a hook failed\n');
    expect(tail).to.include('  - unit: failed: twelve tests behind a failing before hook "before all" hook for "blocked test 1" (');
    expect(tail).to.include('blocked.test.ts): database not reachable\n');
    expect(tail).to.include('  - unit: failed: a test whose after hook fails "after all" hook for "passes itself" (');
    expect(tail).to.include('after.test.ts): cleanup failed\n');
    expect(tail).to.include('  - integration: killed at its time limit of 4 s\n  - e2e: no test files');
  });

  it('when a tier name is unknown or misspelled, then nothing runs and the runner exits 2 naming the valid tiers', async () => {
    write(root, 'unit/fine.test.ts', TWO_PASSING);
    const r = await runTests(['unit', 'integraton'], { TEAMHUB_TEST_ROOT: root });
    expect(r.code).to.equal(2);
    expect(r.out.trim()).to.equal('run-tests: unknown test tier "integraton"; the tiers are: static unit integration badinput e2e faults browser surface containers');
    expect(closingLines(r.out)).to.deep.equal([]);
  });

  it('when a time limit setting is not a number of seconds, then nothing runs and the runner exits 2', async () => {
    write(root, 'unit/fine.test.ts', TWO_PASSING);
    const r = await runTests(['unit'], { TEAMHUB_TEST_ROOT: root, TEAMHUB_TIER_TIMEOUT_UNIT: '5m' });
    expect(r.code).to.equal(2);
    expect(r.out.trim()).to.equal('run-tests: TEAMHUB_TIER_TIMEOUT_UNIT must be a whole number of seconds >= 1, got "5m"');
  });

  it('when every test passes, then it exits 0 with "N passed, 0 failed" as its one closing line', async () => {
    write(root, 'unit/fine.test.ts', TWO_PASSING);
    write(root, 'integration/also-fine.test.ts', TWO_PASSING.replace('two fine tests', 'two more'));
    const r = await runTests(['integration', 'unit'], { TEAMHUB_TEST_ROOT: root });
    expect(r.code, shown(r.out)).to.equal(0);
    // Tiers run in their fixed order whatever order they were named in.
    expect(r.out.indexOf('=== unit tests')).to.be.below(r.out.indexOf('=== integration tests'));
    expect(closingLines(r.out)).to.deep.equal(['4 passed, 0 failed']);
    expect(r.out).to.not.include('problems:');
  });

  it('when a tier runs as shards, then they run at once on disjoint port ranges, every file in one shard, and a failure in either counts', async () => {
    // Each file writes when it started and ended and the port range it was given, so the test
    // sees the two shards overlap in time instead of trusting the runner's word.
    const marker = (name: string, fail: boolean) => `
import { appendFileSync } from 'node:fs';
describe('file ${name}', () => {
  it('${name} waits', async () => {
    appendFileSync(${JSON.stringify(path.join(root, 'trace'))}, 'start ${name} ' + process.env.TEAMHUB_LOOPBACK_PORTS + '\\n');
    await new Promise((r) => setTimeout(r, 1500));
    appendFileSync(${JSON.stringify(path.join(root, 'trace'))}, 'end ${name}\\n');
    ${fail ? `throw new Error('shard failure ${name}');` : ''}
  });
});
`;
    write(root, 'e2e/a.test.ts', marker('a', false));
    write(root, 'e2e/b.test.ts', marker('b', true));
    const r = await runTests(['e2e'], { TEAMHUB_TEST_ROOT: root, TEAMHUB_TIER_SHARDS_E2E: '2' });
    expect(r.code, shown(r.out)).to.equal(1);
    const trace = readFileSync(path.join(root, 'trace'), 'utf8').trim().split('\n');
    expect(trace.slice(0, 2).map((l) => l.split(' ')[0]), trace.join('\n')).to.deep.equal(['start', 'start']);
    const ranges = trace.filter((l) => l.startsWith('start')).map((l) => l.split(' ')[2]!);
    expect(new Set(ranges).size, trace.join('\n')).to.equal(2);
    const [first, second] = ranges.map((x) => x.split('-').map(Number) as [number, number]).sort((x, y) => x[0] - y[0]) as [[number, number], [number, number]];
    expect(first[1], ranges.join(' ')).to.be.below(second[0]);
    expect(first[0]).to.be.below(first[1]);
    expect(second[0]).to.be.below(second[1]);
    const shardLines = r.out.split('\n').filter((l) => l.startsWith('=== e2e shard')).map((l) => l.replace(/ \(\d+ s\) ===$/, '')).sort();
    expect(shardLines, shown(r.out)).to.have.length(2);
    expect(shardLines.map((l) => l.replace(/shard \d of/, 'shard N of')).sort()).to.deep.equal(['=== e2e shard N of 2 tier: 0 passing, 1 failing', '=== e2e shard N of 2 tier: 1 passing, 0 failing']);
    expect(r.out).to.include('shard failure b');
    expect(closingLines(r.out)).to.deep.equal(['1 passed, 1 failed']);
  });

  it('when a shard count is not a number from 1 to 8, then nothing runs and the runner exits 2', async () => {
    write(root, 'e2e/fine.test.ts', TWO_PASSING);
    const r = await runTests(['e2e'], { TEAMHUB_TEST_ROOT: root, TEAMHUB_TIER_SHARDS_E2E: 'two' });
    expect(r.code).to.equal(2);
    expect(r.out.trim()).to.equal('run-tests: TEAMHUB_TIER_SHARDS_E2E must be a whole number from 1 to 8, got "two"');
  });
});
