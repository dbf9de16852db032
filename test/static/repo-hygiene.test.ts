import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT, run } from './run.js';

/**
 * Absolute paths of this machine: the work and root trees always; under /home only the folders
 * that exist here, so a made-up example path in test data or a placeholder is not a leak.
 * Built from parts so this file does not match itself.
 */
function machinePaths(): string[] {
  const home = '/' + 'home' + '/';
  let users: string[] = [];
  try {
    users = readdirSync(home);
  } catch {
    users = [];
  }
  const paths = ['work', 'root'].map((d) => `/${d}/`);
  paths.push(...users.map((u) => `${home}${u}/`), `${os.homedir()}/`, `${REPO_ROOT}/`);
  return [...new Set(paths.filter((p) => p.length > 2))];
}
const MACHINE_PATHS = machinePaths();

describe('static: repository hygiene', function () {
  this.timeout(60_000);

  it('when every tracked file is read, then none contains an absolute path of this machine', () => {
    const { code, output } = run('git', ['ls-files', '-z']);
    expect(code, output).to.equal(0);
    const files = output.split('\0').filter(Boolean);
    expect(files.length).to.be.greaterThan(0);
    const hits: string[] = [];
    for (const f of files) {
      let buf: Buffer;
      try {
        buf = readFileSync(path.join(REPO_ROOT, f));
      } catch {
        continue; // deleted in the work tree, not yet committed
      }
      if (buf.includes(0)) continue; // binary
      const text = buf.toString('utf8');
      for (const p of MACHINE_PATHS) {
        const at = text.indexOf(p);
        if (at >= 0) {
          const line = text.slice(0, at).split('\n').length;
          hits.push(`${f}:${line}: ${p}`);
        }
      }
    }
    expect(hits, hits.join('\n')).to.deep.equal([]);
  });
});
