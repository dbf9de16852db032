import { expect } from 'chai';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { HUB_PROCESSES, hubProcessesFor } from '../../../scripts/hub-processes.js';
import { REPO_ROOT } from '../../../scripts/local-hub.js';
// @ts-expect-error: a plain .mjs build script without type declarations
import { BUNDLED_ENTRIES, bundleEntries } from '../../../scripts/bundle-entries.mjs';

describe('the build bundles every entry point node runs', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'teamhub-bundle-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** A fake compiled hub: dist/<entry>.js files and the packages they import. */
  function write(files: Record<string, string>): void {
    for (const [rel, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      writeFileSync(path.join(dir, rel), text);
    }
  }

  it('when a process is started by make run, the containers or the launcher, then its entry is in the bundled list', () => {
    const started = new Set(['scripts/run-local', ...HUB_PROCESSES.map((p) => p.entry), ...hubProcessesFor({}).map((p) => p.entry)]);
    const compose = readFileSync(path.join(REPO_ROOT, 'docker-compose.yml'), 'utf8');
    for (const m of compose.matchAll(/"dist\/([\w/-]+)\.js"/g)) started.add(m[1]!);
    expect([...started].filter((e) => !BUNDLED_ENTRIES.includes(e))).to.deep.equal([]);
  });

  it('when an entry and its modules are bundled, then the entry runs alone and code behind import() waits in a chunk until it is imported', async () => {
    write({
      'dist/app/main.js': "import { greet } from '../lib/greet.js';\nconsole.log(greet());\nif (process.argv[2] === 'late') console.log((await import('../lib/late.js')).late);\n",
      'dist/lib/greet.js': "export const greet = () => 'hello from the bundle';\n",
      'dist/lib/late.js': "console.log('late module loaded');\nexport const late = 'late value';\n",
    });
    await bundleEntries(dir, path.join(dir, 'dist'), ['app/main']);
    rmSync(path.join(dir, 'dist', 'lib'), { recursive: true });
    const run = (...args: string[]) => spawnSync(process.execPath, [path.join(dir, 'dist', 'app', 'main.js'), ...args], { encoding: 'utf8' });
    expect(run().stdout).to.equal('hello from the bundle\n');
    expect(run('late').stdout).to.equal('hello from the bundle\nlate module loaded\nlate value\n');
    expect(existsSync(path.join(dir, '.dist-bundle-tmp'))).to.equal(false);
  });

  it('when a bundled package finds files by __dirname, then the build fails naming the fix, and no entry is overwritten', async () => {
    const entry = "import { where } from 'finds-files';\nconsole.log(where());\n";
    write({
      'dist/app/main.js': entry,
      'node_modules/finds-files/package.json': JSON.stringify({ name: 'finds-files', main: 'index.js' }),
      'node_modules/finds-files/index.js': "exports.where = () => require('path').join(__dirname, 'data.txt');\n",
    });
    let err: Error | null = null;
    await bundleEntries(dir, path.join(dir, 'dist'), ['app/main']).catch((e: Error) => (err = e));
    expect(String(err)).to.include('a bundled package uses __dirname or __filename (add it to EXTERNAL in scripts/bundle-entries.mjs): app/main.js');
    expect(readFileSync(path.join(dir, 'dist', 'app', 'main.js'), 'utf8')).to.equal(entry);
  });
});
