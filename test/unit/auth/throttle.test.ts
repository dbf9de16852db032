import { expect } from 'chai';
import { AppError } from '../../../lib/errors.js';
import { clientKey } from '../../../services/auth/client-key.js';
import { SqliteAuthStore } from '../../../services/auth/store-sqlite.js';
import { FailureThrottle, type ThrottleVerdict } from '../../../services/auth/throttle.js';

const fail = async (): Promise<never> => {
  throw new AppError('unauthenticated', 'Invalid token');
};
const ok = async () => 'ok';

async function rejection(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (err) {
    return err as AppError;
  }
  throw new Error('expected a rejection');
}

async function throttle(limit = 3) {
  const store = await SqliteAuthStore.open(':memory:');
  let now = 1_000_000;
  const t = new FailureThrottle(store, { limit, windowMs: 60_000, trustMs: 24 * 3600_000 }, () => now);
  return { t, store, advance: (ms: number) => (now += ms) };
}

describe('client keys for throttling', () => {
  it('when an IPv6 client rotates through its /64, then every address is one key; another /64 is another', () => {
    expect(clientKey('2001:db8:1:2::1')).to.equal('2001:db8:1:2::/64');
    expect(clientKey('2001:0db8:0001:0002:ffff:1:2:3')).to.equal('2001:db8:1:2::/64');
    expect(clientKey('2001:db8:1:3::1')).to.equal('2001:db8:1:3::/64');
  });

  it('when an address is IPv4 or IPv4-mapped, then its key is the IPv4 address', () => {
    expect(clientKey('203.0.113.5')).to.equal('203.0.113.5');
    expect(clientKey('::ffff:203.0.113.5')).to.equal('203.0.113.5');
    expect(clientKey(' 203.0.113.5 ')).to.equal('203.0.113.5');
  });

  it('when there is no address or not an address, then it is a bounded key of its own', () => {
    expect(clientKey('')).to.equal('unknown');
    expect(clientKey('unknown')).to.equal('unknown');
    expect(clientKey('x'.repeat(500))).to.have.length(128);
  });
});

describe('failure throttle: slows guessers, not teammates', () => {
  it('when a client reaches the limit, then every later attempt from it is refused until the window ends', async () => {
    const { t, advance } = await throttle();
    for (let i = 0; i < 3; i++) expect((await rejection(t.guard('203.0.113.5', `token:guess${i}`, fail))).code).to.equal('unauthenticated');
    const refused = await rejection(t.guard('203.0.113.5', 'token:guess9', ok));
    expect(refused.code).to.equal('resource_exhausted');
    expect(refused.message).to.equal('Too many failed attempts');
    expect(Number(refused.details.retryAfterMs)).to.be.within(1, 60_000);
    advance(60_001);
    expect(await t.guard('203.0.113.5', 'token:guess9', ok)).to.equal('ok');
  });

  it('when a stranger rotates IPv6 addresses inside one /64, then the /64 is locked; another /64 is not', async () => {
    const { t } = await throttle();
    for (let i = 1; i <= 3; i++) await rejection(t.guard(`2001:db8:1:2::${i}`, `token:g${i}`, fail));
    expect((await rejection(t.guard('2001:db8:1:2::99', 'token:g', ok))).code).to.equal('resource_exhausted');
    expect(await t.guard('2001:db8:1:3::1', 'token:g', ok)).to.equal('ok');
  });

  it('when a token worked from a client before, then others failing from that client do not lock it out', async () => {
    const { t } = await throttle();
    expect(await t.guard('198.51.100.7', 'token:base:alice', ok)).to.equal('ok');
    for (let i = 0; i < 5; i++) await rejection(t.guard('198.51.100.7', `token:stranger${i}`, fail));
    // The stranger (and any credential that never worked here) stays locked out.
    expect((await rejection(t.guard('198.51.100.7', 'token:stranger9', ok))).code).to.equal('resource_exhausted');
    expect((await rejection(t.guard('198.51.100.7', 'token:base:bob', ok))).code).to.equal('resource_exhausted');
    // Alice's token still gets through, from that client.
    expect(await t.guard('198.51.100.7', 'token:base:alice', ok)).to.equal('ok');
    // Trust is per client: from another locked client the same token is refused.
    for (let i = 0; i < 3; i++) await rejection(t.guard('198.51.100.8', `token:s${i}`, fail));
    expect((await rejection(t.guard('198.51.100.8', 'token:base:alice', ok))).code).to.equal('resource_exhausted');
  });

  it('when a once-good credential now fails from a locked client, then it has a bounded counter of its own', async () => {
    const { t } = await throttle();
    await t.guard('198.51.100.7', 'tg:42', ok);
    for (let i = 0; i < 3; i++) await rejection(t.guard('198.51.100.7', `token:s${i}`, fail));
    const verdicts: ThrottleVerdict[] = [];
    for (let i = 0; i < 3; i++) await rejection(t.guard('198.51.100.7', 'tg:42', fail, async (_e, v) => void verdicts.push(v)));
    expect(verdicts).to.deep.equal([
      { count: 1, trusted: true },
      { count: 2, trusted: true },
      { count: 3, trusted: true },
    ]);
    const refusals: ThrottleVerdict[] = [];
    const refused = await rejection(t.guard('198.51.100.7', 'tg:42', ok, undefined, async (_e, v) => void refusals.push(v)));
    expect(refused.code).to.equal('resource_exhausted');
    expect(refusals).to.deep.equal([{ count: 4, trusted: true }]);
  });

  it('when the trust is older than the trust time, then it no longer exempts the credential', async () => {
    const { t, advance } = await throttle();
    await t.guard('198.51.100.7', 'token:base:alice', ok);
    advance(25 * 3600_000);
    for (let i = 0; i < 3; i++) await rejection(t.guard('198.51.100.7', `token:s${i}`, fail));
    expect((await rejection(t.guard('198.51.100.7', 'token:base:alice', ok))).code).to.equal('resource_exhausted');
  });

  it('when the store keeps the trust, then it holds a hash of client and credential, never the token', async () => {
    const { t, store } = await throttle();
    await t.guard('198.51.100.7', 'token:base-secret:alice', ok);
    const db = (store as unknown as { db: { prepare(s: string): { all(): { key: string }[] } } }).db;
    const keys = db.prepare('SELECT key FROM trusted_clients').all().map((r) => r.key);
    expect(keys).to.have.length(1);
    expect(keys[0]).to.match(/^[0-9a-f]{64}$/);
    expect(keys[0]).to.not.include('secret');
  });
});
