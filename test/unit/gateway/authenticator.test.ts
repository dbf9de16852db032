import { expect } from 'chai';
import { pino } from 'pino';
import { GatewayAuthenticator } from '../../../gateway/http/authenticator.js';
import { signWebJwt } from '../../../lib/auth/jwt.js';
import { AppError } from '../../../lib/errors.js';
import { RevocationEvent } from '../../../lib/gen/teamhub/events/v1/events.js';
import type { Namespace } from '../../../lib/namespace.js';
import type { ServiceClients } from '../../../gateway/deps.js';

const SECRET = new Uint8Array(32).fill(7);

function harness(resolve: (token: string) => Promise<{ namespace: string }>) {
  let onMsg: ((err: Error | null, msg: { data: Uint8Array }) => void) | undefined;
  const calls: string[] = [];
  const auth = {
    call: async (method: string, req: { accessToken?: string }) => {
      calls.push(method);
      if (method === 'getJwtVerifier') return { jwtSecret: Buffer.from(SECRET), revoked: [], revokedBefore: {} };
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

async function expectInvalid(p: Promise<unknown>): Promise<void> {
  try {
    await p;
    expect.fail('should be refused');
  } catch (err) {
    expect((err as AppError).message).to.equal('Invalid token');
  }
}
