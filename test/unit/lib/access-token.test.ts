import { expect } from 'chai';
import { parseAccessToken, constantTimeEquals } from '../../../lib/access-token.js';

describe('access token grammar (HAPI: base[:namespace], the last colon splits)', () => {
  const cases: [string, { baseToken: string; namespace: string } | null][] = [
    ['tok', { baseToken: 'tok', namespace: 'default' }],
    ['tok:alice', { baseToken: 'tok', namespace: 'alice' }],
    ['a:b:alice', { baseToken: 'a:b', namespace: 'alice' }],
    ['base::alice', { baseToken: 'base:', namespace: 'alice' }],
    ['  tok:alice  ', { baseToken: 'tok', namespace: 'alice' }],
    ['base:alice ', { baseToken: 'base', namespace: 'alice' }],
    ['tok:', null],
    [':alice', null],
    ['tok: alice', null],
    ['base :alice', null],
    ['', null],
    ['   ', null],
  ];
  for (const [input, expected] of cases) {
    it(`when the token is ${JSON.stringify(input)}, then it parses to ${JSON.stringify(expected)}`, () => {
      expect(parseAccessToken(input)).to.deep.equal(expected);
    });
  }

  it('when the input is not a string, then it is invalid', () => {
    expect(parseAccessToken(undefined)).to.equal(null);
    expect(parseAccessToken({})).to.equal(null);
  });

  it('when comparing secrets, then equal strings match and others do not, whatever their length', () => {
    expect(constantTimeEquals('secret', 'secret')).to.equal(true);
    expect(constantTimeEquals('secret', 'secreT')).to.equal(false);
    expect(constantTimeEquals('secret', 'secret-longer')).to.equal(false);
    expect(constantTimeEquals('', '')).to.equal(true);
  });
});
