import { expect } from 'chai';
import { pino } from 'pino';
import { GatewayAuthenticator } from '../../../gateway/http/authenticator.js';
import { signWebJwt } from '../../../lib/auth/jwt.js';
import { AppError } from '../../../lib/errors.js';
import { RevocationEvent } from '../../../lib/gen/teamhub/events/v1/events.js';
import type { Namespace } from '../../../lib/namespace.js';
import type { ServiceClients } from '../../../gateway/deps.js';

const SECRET = new Uint8Array(32).fill(7);

function harness(resolve: (token: string) => Promise<{ namespace: string }>, verifier: () => Record<string, unknown> = () => ({})) {
  let onMsg: ((err: Error | null, msg: { data: Uint8Array }) => void) | undefined;
  const calls: string[] = [];
  const auth = {
    call: async (method: string, req: { accessToken?: string }) => {
      calls.push(method);
      if (method === 'getJwtVerifier') return { jwtSecret: Buffer.from(SECRET), revoked: [], revokedBefore: {}, registeredMode: false, namespaceTokenSha256: {}, ...verifier() };
      if (method === 'resolveAccessToken') return resolve(req.accessToken ?? '');
      throw new Error(`unexpected ${method}`);
    },
    close: () => {},
  };
  const nc = {
    subscribe: (_subject: string, opts: { callback: typeof onMsg }) => ((onMsg = opts.callback), { unsubscribe: () => {} }),
  };
  const a = new GatewayAuthenticator({ clients: { auth } as unknown as Pick<ServiceClients, 'auth'>, nc: nc as never, log: pino({ level: 'silent' }) });
  const publish = (ev: Partial<RevocationEvent>) => onMsg?.(null, { data: RevocationEvent.encode(RevocationEvent.fromPartial(ev)).finish() });
  return { a, calls, publish };
}

describe('gateway authenticator', () => {
  it('when a token resolves, then it is cached; a credentials-changed event drops the cache', async () => {
    const { a, calls, publish } = harness(async () => ({ namespace: 'alice' }));
    await a.start();
    expect(await a.resolveAccessToken('tok', '1.2.3.4', 'cli')).to.equal('alice');
    expect(await a.resolveAccessToken('tok', '1.2.3.4', 'cli')).to.equal('alice');
    expect(calls.filter((c) => c === 'resolveAccessToken')).to.have.length(1);
    publish({ namespace: 'alice', credentialsChanged: true, revokedBefore: 1 });
    await a.resolveAccessToken('tok', '1.2.3.4', 'cli');
    expect(calls.filter((c) => c === 'resolveAccessToken')).to.have.length(2);
    await a.close();
  });

  it('when the auth service refuses a token, then Invalid token; failures are not cached; throttling passes through', async () => {
    let n = 0;
    const { a } = harness(async () => {
      n++;
      if (n === 3) throw new AppError('resource_exhausted', 'Too many failed attempts');
      throw new AppError('unauthenticated', 'whatever text');
    });
    for (let i = 0; i < 2; i++) {
      try {
        await a.resolveAccessToken('bad', 'x', 'cli');
        expect.fail('should refuse');
      } catch (err) {
        expect(err).to.be.instanceOf(AppError).with.property('message', 'Invalid token');
      }
    }
    try {
      await a.resolveAccessToken('bad', 'x', 'cli');
      expect.fail('should throttle');
    } catch (err) {
      expect((err as AppError).code).to.equal('resource_exhausted');
    }
  });

  it('when the service answers a namespace that fails the edge checks, then Invalid token', async () => {
    const { a } = harness(async () => ({ namespace: 'x'.repeat(300) }));
    try {
      await a.resolveAccessToken('t', 'x', 'cli');
      expect.fail('should refuse');
    } catch (err) {
      expect((err as AppError).message).to.equal('Invalid token');
    }
  });

  it('when a JWT is verified locally, then revocation events (jti, cut-off) apply at once', async () => {
    const { a, publish } = harness(async () => ({ namespace: 'alice' }));
    await a.start();
    const one = await signWebJwt(SECRET, { uid: 1, ns: 'alice' as Namespace });
    const two = await signWebJwt(SECRET, { uid: 1, ns: 'alice' as Namespace });
    expect((await a.verifyWebToken(one.token)).namespace).to.equal('alice');
    publish({ jti: one.jti, expiresAt: one.exp });
    await expectInvalid(a.verifyWebToken(one.token));
    expect((await a.verifyWebToken(two.token)).jti).to.equal(two.jti);
    publish({ namespace: 'alice', revokedBefore: Date.now() + 1, credentialsChanged: true });
    await expectInvalid(a.verifyWebToken(two.token));
    await a.close();
  });
});

describe('gateway authenticator: what it tells live connections', () => {
  it('when a revocation event arrives, then watchers get what it revoked and the list is not fetched again', async () => {
    const { a, calls, publish } = harness(async () => ({ namespace: 'alice' }));
    await a.start();
    const seen: unknown[] = [];
    a.watchRevocations((n) => seen.push(n));
    publish({ namespace: 'alice', jti: 'j1', expiresAt: 99 });
    publish({ namespace: 'alice', revokedBefore: 5, credentialsChanged: true, tokenSha256: 'ab'.repeat(32) });
    expect(seen).to.deep.equal([
      { namespace: 'alice', jti: 'j1', revokedBefore: undefined, tokenSha256: undefined },
      { namespace: 'alice', jti: undefined, revokedBefore: 5, tokenSha256: 'ab'.repeat(32) },
    ]);
    expect(calls.filter((c) => c === 'getJwtVerifier'), 'one fetch at start only').to.have.length(1);
    await a.close();
  });

  it("when the list is refreshed in registered mode, then a socket of a token that is no longer its namespace's is revoked; one opened after the question is not judged", async () => {
    let hashes: Record<string, string> = { alice: 'old-hash' };
    const { a } = harness(async () => ({ namespace: 'alice' }), () => ({ registeredMode: true, namespaceTokenSha256: hashes }));
    const refreshed: unknown[] = [];
    a.watchRevocations((n) => refreshed.push(n));
    const before = Date.now() - 1;
    await a.start();
    expect(refreshed).to.deep.equal([null]);
    const alice = 'alice' as Namespace;
    expect(a.isAccessTokenRevoked({ namespace: alice, tokenHash: 'old-hash', openedAt: before })).to.equal(false);
    hashes = { alice: 'new-hash' };
    await (a as unknown as { refresh(): Promise<unknown> }).refresh();
    expect(a.isAccessTokenRevoked({ namespace: alice, tokenHash: 'old-hash', openedAt: before })).to.equal(true);
    expect(a.isAccessTokenRevoked({ namespace: 'bob' as Namespace, tokenHash: 'x', openedAt: before }), 'a revoked or unknown namespace').to.equal(true);
    expect(a.isAccessTokenRevoked({ namespace: alice, tokenHash: 'brand-new', openedAt: Date.now() + 1000 })).to.equal(false);
    await a.close();
  });

  it('when the hub is in open mode, then no access token is judged by the list', async () => {
    const { a } = harness(async () => ({ namespace: 'alice' }));
    await a.start();
    expect(a.isAccessTokenRevoked({ namespace: 'alice' as Namespace, tokenHash: 'whatever', openedAt: 0 })).to.equal(false);
    await a.close();
  });
});

async function expectInvalid(p: Promise<unknown>): Promise<void> {
  try {
    await p;
    expect.fail('should be refused');
  } catch (err) {
    expect((err as AppError).message).to.equal('Invalid token');
  }
}
