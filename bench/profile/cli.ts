/**
 * Re-analyses the profiles of an earlier `--profile DIR` run from its results JSON:
 *   node --import tsx bench/profile/cli.ts DIR bench/results/<run>.json
 * (e.g. after changing the categories); writes DIR/summary.md and DIR/summary.json again.
 */
import { readFileSync } from 'node:fs';
import { analyzeProfiles } from './analyze.js';

const [dir, resultsFile] = process.argv.slice(2);
if (!dir || !resultsFile) {
  process.stderr.write('usage: node --import tsx bench/profile/cli.ts PROFILE_DIR RESULTS_JSON\n');
  process.exit(2);
}
const results = (JSON.parse(readFileSync(resultsFile, 'utf8')) as { results: { teamhub?: Parameters<typeof analyzeProfiles>[1] } }).results.teamhub;
if (!results?.profiledProcesses) {
  process.stderr.write(`${resultsFile} has no profiled teamhub run\n`);
  process.exit(1);
}
process.stdout.write(`${analyzeProfiles(dir, results)}\n`);
