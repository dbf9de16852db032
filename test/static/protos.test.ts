import { expect } from 'chai';
import { run } from './run.js';

describe('static: protos and generated code', function () {
  this.timeout(120_000);

  it('when buf generate runs into a temp dir, then its output equals the committed lib/gen byte for byte', () => {
    const { code, output } = run(process.execPath, ['scripts/check-gen.mjs']);
    expect(code, output).to.equal(0);
  });

  it('when buf lint runs, then the protos pass', () => {
    const { code, output } = run('buf', ['lint']);
    expect(code, output).to.equal(0);
  });
});
