// Mocha reporter: the spec output, plus the tier's counts written as JSON to the file named by
// TEAMHUB_TEST_STATS, so scripts/run-tests.mjs can sum every tier into one closing line.
//
// Honest counts: mocha counts a failed hook as one failure and says nothing of the tests it kept
// from running (a failing `before` in a file of 12 tests reads "1 failing"). Here every test that
// did not run because a hook failed is counted as blocked, and the runner counts it as failed; a
// failed hook that blocked nothing (an `after` hook) still counts as one failure.
// Each failure's title, file and first message line go in the file too, so the closing lines of a
// whole run name what failed even when only the tail of its output can be read.
// The file is rewritten after every test, so a tier killed at its time limit still tells how far
// it got.
const Mocha = require('mocha');
const fs = require('node:fs');

const { EVENT_RUN_END, EVENT_TEST_PASS, EVENT_TEST_FAIL, EVENT_TEST_PENDING } = Mocha.Runner.constants;

/** The first line of a failure's message, bounded: enough to tell one failure from another in a log tail. */
function firstLine(err) {
  const text = String((err && (err.message || err)) ?? '').split('\n').find((l) => l.trim() !== '') ?? '';
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

function testsUnder(suite) {
  return [...suite.tests, ...suite.suites.flatMap(testsUnder)];
}

class CiReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    this.file = process.env.TEAMHUB_TEST_STATS;
    this.total = typeof runner.grepTotal === "function" ? runner.grepTotal(runner.suite) : runner.total;
    this.passed = new Set();
    this.failed = new Set();
    this.pending = 0;
    this.failedHooks = [];
    this.blocked = [];
    this.failureNotes = [];
    this.write(false);
    runner.on(EVENT_TEST_PASS, (test) => {
      this.passed.add(test);
      this.write(false);
    });
    runner.on(EVENT_TEST_PENDING, () => {
      this.pending += 1;
      this.write(false);
    });
    runner.on(EVENT_TEST_FAIL, (runnable, err) => {
      this.failureNotes.push({ title: runnable.fullTitle(), file: runnable.file ?? runnable.parent?.file ?? null, error: firstLine(err) });
      if (runnable.type === 'hook') this.failedHooks.push(runnable);
      else this.failed.add(runnable);
      this.write(false);
    });
    // Prepended, so it runs before the Spec reporter's own end handler: the epilogue knows the blocked tests.
    runner.prependOnceListener(EVENT_RUN_END, () => {
      this.blocked = this.findBlocked();
      this.write(true);
    });
  }

  /** For each failed hook, the tests under its suite that never ran (each test counted once). */
  findBlocked() {
    const seen = new Set();
    const blocked = [];
    for (const hook of this.failedHooks) {
      const tests = testsUnder(hook.parent).filter((t) => t.state === undefined && !t.isPending() && !seen.has(t));
      tests.forEach((t) => seen.add(t));
      blocked.push({ hook: hook.fullTitle(), file: hook.file ?? hook.parent.file ?? null, tests: tests.map((t) => t.fullTitle()) });
    }
    return blocked;
  }

  counts() {
    const blockedTests = this.blocked.reduce((n, b) => n + b.tests.length, 0);
    // A failed hook that kept no test from running is a failure of its own.
    const lonelyHooks = this.blocked.filter((b) => b.tests.length === 0).length;
    const failedTests = this.failed.size;
    return {
      total: this.total,
      passes: [...this.passed].filter((t) => !this.failed.has(t)).length,
      failedTests,
      blockedTests,
      failedHooks: this.failedHooks.length,
      failures: failedTests + blockedTests + lonelyHooks,
      pending: this.pending,
    };
  }

  write(ended) {
    if (!this.file) return;
    const hooks = ended ? this.blocked : this.failedHooks.map((h) => ({ hook: h.fullTitle(), file: h.file ?? null, tests: [] }));
    fs.writeFileSync(this.file, JSON.stringify({ ...this.counts(), ended, hooks, failureList: this.failureNotes }));
  }

  epilogue() {
    super.epilogue();
    const withTests = this.blocked.filter((b) => b.tests.length > 0);
    if (withTests.length === 0) return;
    const n = withTests.reduce((s, b) => s + b.tests.length, 0);
    process.stdout.write(`  ${n} blocked (did not run because a hook failed; counted as failed):\n`);
    for (const b of withTests) {
      process.stdout.write(`    ${b.hook}${b.file ? ` (${b.file})` : ''}: ${b.tests.length} test${b.tests.length === 1 ? '' : 's'}\n`);
      for (const t of b.tests) process.stdout.write(`      - ${t}\n`);
    }
    process.stdout.write('\n');
  }
}

module.exports = CiReporter;
