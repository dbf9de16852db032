import { expect } from 'chai';
import { isAppError } from '../../../lib/errors.js';
import { jsonDepth, toJsonText } from '../../../lib/json.js';
import { isInt32, isInt64, isUint64, optionalInt64 } from '../../../lib/proto-numbers.js';
import { illFormedTextPath } from '../../../lib/unicode-text.js';

/** `[[[...]]]` nested `n` deep, built without recursion. */
function nestedArrays(n: number): unknown {
  return JSON.parse(`${'['.repeat(n)}${']'.repeat(n)}`);
}

describe('edge input checks: JSON depth, proto integer ranges, well-formed text', () => {
  it('when depth is measured, then scalars are 0, each container adds one, and the deepest branch counts', () => {
    expect(jsonDepth(1)).to.equal(0);
    expect(jsonDepth('x')).to.equal(0);
    expect(jsonDepth(null)).to.equal(0);
    expect(jsonDepth({})).to.equal(1);
    expect(jsonDepth([])).to.equal(1);
    expect(jsonDepth({ a: [1, { b: 2 }], c: 3 })).to.equal(3);
    expect(jsonDepth([[], [[[]]], {}])).to.equal(4);
  });

  it('when a value 100,000 deep is measured with a limit, then it answers limit + 1 without overflowing the stack', () => {
    const deep = nestedArrays(100_000);
    expect(jsonDepth(deep, 100)).to.equal(101);
    expect(jsonDepth(deep)).to.equal(100_000);
  });

  it('when toJsonText is given a value too deep to serialise, then it is refused as invalid_argument, not a RangeError', () => {
    let thrown: unknown;
    try {
      toJsonText({ metadata: nestedArrays(100_000) });
    } catch (err) {
      thrown = err;
    }
    expect(isAppError(thrown, 'invalid_argument'), String(thrown)).to.equal(true);
    expect((thrown as Error).message).to.equal('Invalid body: JSON nested too deeply');
    expect(toJsonText(JSON.parse('{"__proto__":{"x":1}}'))).to.equal('{"__proto__":{"x":1}}');
  });

  it('when numbers are checked against int64 and int32, then only safe integers in range pass', () => {
    for (const bad of [1e308, -1e308, 1.5, Number.NaN, Infinity, 2 ** 53, '1', null, undefined]) expect(isInt64(bad), String(bad)).to.equal(false);
    for (const ok of [0, -1, 1, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 1_700_000_000_000]) expect(isInt64(ok), String(ok)).to.equal(true);
    expect(isUint64(-1)).to.equal(false);
    expect(isUint64(0)).to.equal(true);
    expect(isInt32(2 ** 31)).to.equal(false);
    expect(isInt32(2 ** 31 - 1)).to.equal(true);
    expect(isInt32(-(2 ** 31))).to.equal(true);
    expect(optionalInt64(undefined)).to.deep.equal({ ok: true, value: undefined });
    expect(optionalInt64(null)).to.deep.equal({ ok: true, value: undefined });
    expect(optionalInt64(42)).to.deep.equal({ ok: true, value: 42 });
    expect(optionalInt64(1.5)).to.deep.equal({ ok: false });
  });

  it('when a request holds a lone surrogate, then its place is named; well-formed text of any script passes', () => {
    expect(illFormedTextPath({ accessToken: 'base:ünï😀', tags: ['a', 'b'] })).to.equal(null);
    expect(illFormedTextPath({ credential: { accessToken: 'base:a\ud800' } })).to.equal('credential.accessToken');
    expect(illFormedTextPath({ ids: ['ok', '\udc00x'] })).to.equal('ids[1]');
    expect(illFormedTextPath('\ud83d')).to.equal('the value');
    expect(illFormedTextPath({ ['k\ud800']: 1 })).to.equal('(a key)');
    expect(illFormedTextPath({ bytes: new Uint8Array([0xed, 0xa0, 0x80]) })).to.equal(null);
    expect(illFormedTextPath({ [`${'k'.repeat(200)}`]: '\ud800' })!.length).to.be.at.most(81);
  });
});
