import { expect } from 'chai';
import { TokenCache } from '../../../gateway/http/token-cache.js';
import { RevocationCache } from '../../../gateway/http/revocations.js';
import type { Namespace } from '../../../lib/namespace.js';

describe('gateway token cache', () => {
  it('when a token is cached, then it hits until the TTL passes, keyed by hash only', () => {
    let now = 1000;
    const c = new TokenCache(5000, 10, () => now);
    c.set('secret-token', 'alice' as Namespace);
    expect(c.get('secret-token')).to.equal('alice');
    expect(c.get('other')).to.equal(undefined);
    expect(JSON.stringify([...(c as unknown as { entries: Map<string, unknown> }).entries.keys()])).to.not.include('secret-token');
    now += 5000;
    expect(c.get('secret-token')).to.equal(undefined);
  });

  it('when cleared, then nothing hits; a full cache starts over instead of growing', () => {
    const c = new TokenCache(5000, 2);
    c.set('a', 'a' as Namespace);
    c.set('b', 'b' as Namespace);
    c.set('c', 'c' as Namespace);
    expect(c.size).to.be.at.most(2);
    c.clear();
    expect(c.get('c')).to.equal(undefined);
  });
});

describe('gateway revocation cache', () => {
  it('when a jti is revoked, then it is revoked until it expires and is pruned', () => {
    let now = 100;
    const r = new RevocationCache(() => now);
    r.revokeJti('j1', 200);
    expect(r.isRevoked('j1')).to.equal(true);
    expect(r.isRevoked('j2')).to.equal(false);
    now = 201;
    r.prune();
    expect(r.size).to.equal(0);
  });

  it('when cut-offs arrive out of order, then the latest one wins per namespace', () => {
    const r = new RevocationCache();
    r.revokeBefore('alice', 50);
    r.revokeBefore('alice', 40);
    expect(r.revokedBefore('alice')).to.equal(50);
    expect(r.revokedBefore('bob')).to.equal(undefined);
  });
});
