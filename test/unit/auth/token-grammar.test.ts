import { expect } from 'chai';
import { AppError } from '../../../lib/errors.js';
import { credentialService } from './fixtures.js';
import { testHubContext } from '../call-context.js';

type Svc = Awaited<ReturnType<typeof credentialService>>['svc'];
const HUB = testHubContext();

async function outcome(p: Promise<{ namespace: string }>): Promise<string> {
  try {
    return `ns=${(await p).namespace}`;
  } catch (err) {
    expect(err).to.be.instanceOf(AppError);
    return `${(err as AppError).code}:${(err as AppError).message}`;
  }
}

const INVALID = 'unauthenticated:Invalid token';

/** Transcript F (hub base token `base`) plus teamhub's namespace bound (≤256 UTF-8 bytes, no control chars). */
const TABLE: [string, string][] = [
  ['base', 'ns=default'],
  ['wrong', INVALID],
  ['', INVALID],
  ['base:', INVALID],
  ['base:a:b', INVALID],
  [':alice', INVALID],
  ['base: alice', INVALID],
  ['base :alice', INVALID],
  ['  base:alice  ', 'ns=alice'],
  ['base:alice ', 'ns=alice'],
  ['base:default', 'ns=default'],
  ['base:with space', 'ns=with space'],
  ['base:a.b', 'ns=a.b'],
  ['base:ünïcödé', 'ns=ünïcödé'],
  ['base:🙂', 'ns=🙂'],
  ['base:a/b', 'ns=a/b'],
  ['base:\tx', INVALID],
  ['base:null', 'ns=null'],
  ['BASE:alice', INVALID],
  ['base::alice', INVALID],
  ['base:a\u0000b', INVALID],
  ['base:a\u007fb', INVALID],
  ['base:a\nb', INVALID],
  [`base:${'n'.repeat(256)}`, `ns=${'n'.repeat(256)}`],
  [`base:${'n'.repeat(257)}`, INVALID],
  [`base:${'n'.repeat(5000)}`, INVALID],
  [`base:${'é'.repeat(128)}`, `ns=${'é'.repeat(128)}`],
  [`base:${'é'.repeat(128)}x`, INVALID],
];

describe('access token grammar (open mode, base token "base")', () => {
  let svc: Svc;
  before(async () => ({ svc } = await credentialService('base')));
  for (const [token, expected] of TABLE) {
    it(`when the token is ${JSON.stringify(token.length > 40 ? `${token.slice(0, 30)}…(${token.length})` : token)}, then ${expected.slice(0, 40)}`, async () => {
      expect(await outcome(svc.resolve(HUB, token, '10.0.0.1', 'cli'))).to.equal(expected);
    });
  }

  it('when IssueWebToken gets a bad token, then the text is HAPI\'s "Invalid access token"', async () => {
    expect(await outcome(svc.issueWebToken(HUB, { accessToken: 'wrong:alice' }, '10.0.0.1'))).to.equal('unauthenticated:Invalid access token');
  });
});

describe('access token grammar (open mode, base token "a:b")', () => {
  let svc: Svc;
  before(async () => ({ svc } = await credentialService('a:b')));
  it('when the token is a:b:alice, then namespace alice (last colon wins)', async () => {
    expect(await outcome(svc.resolve(HUB, 'a:b:alice', '10.0.0.1', 'cli'))).to.equal('ns=alice');
  });
  it('when the token is a:b alone, then refused (it parses as base "a", namespace "b")', async () => {
    expect(await outcome(svc.resolve(HUB, 'a:b', '10.0.0.1', 'cli'))).to.equal(INVALID);
  });
});

describe('registered mode refuses base-token credentials', () => {
  let svc: Svc;
  before(async () => ({ svc } = await credentialService('base', 'registered')));
  for (const token of ['base', 'base:alice', '', 'anything']) {
    it(`when the token is ${JSON.stringify(token)}, then Invalid token`, async () => {
      expect(await outcome(svc.resolve(HUB, token, '10.0.0.1', 'cli'))).to.equal(INVALID);
    });
  }
});
