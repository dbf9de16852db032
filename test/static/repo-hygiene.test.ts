import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, run } from './run.js';

// Built from parts so this file does not match itself.
const MACHINE_PATHS = ['work', 'root', 'home'].map((d) => `/${d}/`);

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
