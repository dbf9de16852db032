// Mocha reporter: the spec output, plus the run's totals written as JSON to the file named by
// TEAMHUB_TEST_STATS, so scripts/run-tests.mjs can sum every tier into one closing line.
const Mocha = require('mocha');
const fs = require('node:fs');

const { EVENT_RUN_END } = Mocha.Runner.constants;

class CiReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once(EVENT_RUN_END, () => {
      const s = runner.stats;
      const file = process.env.TEAMHUB_TEST_STATS;
      if (file) fs.writeFileSync(file, JSON.stringify({ passes: s.passes, failures: s.failures, pending: s.pending }));
    });
  }
}

module.exports = CiReporter;
