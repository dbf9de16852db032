import { expect } from 'chai';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { originalFrame } from '../../../bench/profile/source-maps.js';
// @ts-expect-error: a plain .mjs build script without type declarations
import { bundleEntries } from '../../../scripts/bundle-entries.mjs';

describe('bench profiles: frames of a bundled entry are traced back to the files it was built from', () => {
  let dir: string;
  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'teamhub-maps-'));
    const files: Record<string, string> = {
      'dist/app/main.js': "import { greet } from '../lib/greet.js';\nconsole.log(greet());\n",
      'dist/lib/greet.js': "// a comment line\nexport function greet() {\n  return 'hello from greet';\n}\n",
    };
    for (const [rel, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      writeFileSync(path.join(dir, rel), text);
    }
    await bundleEntries(dir, path.join(dir, 'dist'), ['app/main']);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('when a frame is in a bundle, then it names the compiled file and line, not the bundle', () => {
    const bundle = path.join(dir, 'dist', 'app', 'main.js');
    const lines = readFileSync(bundle, 'utf8').split('\n');
    const line = lines.findIndex((l) => l.includes('hello from greet'));
    expect(line, lines.join('\n')).to.be.greaterThan(-1);
    const frame = originalFrame({ functionName: 'greet', url: pathToFileURL(bundle).href, lineNumber: line, columnNumber: lines[line]!.indexOf('return') });
    expect(frame).to.include({ functionName: 'greet', url: pathToFileURL(path.join(dir, 'dist', 'lib', 'greet.js')).href, lineNumber: 2 });
  });

  it('when a frame has no source map (Node core, an unbundled file), then it is left as it is', () => {
    const core = { functionName: 'emit', url: 'node:events', lineNumber: 10 };
    expect(originalFrame(core)).to.equal(core);
    const plain = { functionName: 'greet', url: pathToFileURL(path.join(dir, 'dist', 'lib', 'greet.js')).href, lineNumber: 2 };
    expect(originalFrame(plain)).to.equal(plain);
  });
});
