import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from '../../../scripts/local-hub.js';
import { ensureBuiltOnce, nodeEntry } from '../../helpers/node-entry.js';

// The MongoDB driver costs a process about 16 MiB of memory; the services `make run` starts are on
// SQLite, so none of them may load it unless TEAMHUB_STORE=mongo asks for it.
const REPORTER = path.join(REPO_ROOT, 'test', 'helpers', 'report-mongodb-loaded.mjs');

/** Runs node with the reporter preloaded; answers whether the driver was loaded, and the output. */
function driverLoaded(args: string[], env: NodeJS.ProcessEnv = {}): { loaded: boolean; output: string } {
  const res = spawnSync(process.execPath, ['--import', pathToFileURL(REPORTER).href, ...args], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH, ...env },
    encoding: 'utf8',
    timeout: 20_000,
  });
  const output = `${res.stdout}${res.stderr}`;
  const m = /mongodb-driver-loaded=(true|false)/.exec(output);
  if (!m) throw new Error(`no driver report from node ${args.join(' ')}:\n${output}`);
  return { loaded: m[1] === 'true', output };
}

/** A script that opens a store through openConfiguredStore with the given config and fake openers. */
function openStoreScript(config: object): string[] {
  const open = pathToFileURL(path.join(REPO_ROOT, 'dist', 'lib', 'store', 'open.js')).href;
  const code = `
    const { openConfiguredStore } = await import(${JSON.stringify(open)});
    const store = { close: async () => {} };
    const log = { info: () => {} };
    await openConfiguredStore(${JSON.stringify(config)}, { sqlite: async () => store, mongo: async () => { throw new Error('no server in this test'); } }, log)
      .then(() => console.log('opened'), (err) => console.log('refused: ' + err.message));`;
  return ['--input-type=module', '-e', code];
}

describe('MongoDB driver loaded only for TEAMHUB_STORE=mongo', () => {
  before(function () {
    this.timeout(180_000); // compiling dist/ when a source is newer than it
    ensureBuiltOnce();
  });

  for (const service of ['auth', 'session', 'machine', 'notify']) {
    it(`when the ${service} service's code is loaded, then the driver is not (it is imported only when the store is mongo)`, () => {
      // A bad TEAMHUB_STORE stops the service at its config, after every static import is loaded.
      const { loaded, output } = driverLoaded(nodeEntry(`services/${service}/main`), { TEAMHUB_STORE: 'bogus' });
      expect(output).to.include('TEAMHUB_STORE must be one of sqlite|mongo');
      expect(loaded, output).to.equal(false);
    });
  }

  it('when a store opens on sqlite, then the driver stays unloaded; when one opens on mongo, it is loaded', () => {
    const sqlite = driverLoaded(openStoreScript({ kind: 'sqlite', file: 'unused.db' }));
    expect(sqlite.output).to.include('opened');
    expect(sqlite.loaded, sqlite.output).to.equal(false);
    const mongo = driverLoaded(openStoreScript({ kind: 'mongo', url: 'mongodb://127.0.0.1:1', dbName: 'unused' }));
    expect(mongo.output).to.include('refused: no server in this test');
    expect(mongo.loaded, mongo.output).to.equal(true);
  });
});
