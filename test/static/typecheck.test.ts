import { expect } from 'chai';
import { run } from './run.js';

describe('static: typecheck', function () {
  this.timeout(300_000);

  it('when the whole project is typechecked (tsc -p . --noEmit), then there are no errors', () => {
    const { code, output } = run('tsc', ['-p', '.', '--noEmit']);
    expect(code, output).to.equal(0);
  });
});
