import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { SignJWT, decodeProtectedHeader, decodeJwt } from 'jose';
import { signWebJwt, verifyWebJwt, type JwtRevocations } from '../../../lib/auth/jwt.js';
import { AppError } from '../../../lib/errors.js';
import type { Namespace } from '../../../lib/namespace.js';

const key = new Uint8Array(randomBytes(32));
const alice = 'alice' as Namespace;

async function rejection(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (err) {
    expect(err).to.be.instanceOf(AppError);
    return err as AppError;
  }
  throw new Error('expected a rejection');
}

function b64(obj: unknown): string {
  return Buffer.from(JSON.stringify(obj)).toString('base64url');
}

describe('web JWT (lib/auth/jwt)', () => {
  it('when signed, then the header is {"alg":"HS256"} and the claims are uid, ns, iat, exp (4 h), jti', async () => {
    const { token, jti } = await signWebJwt(key, { uid: 1886429390, ns: alice }, 1_795_618_455_000);
    expect(decodeProtectedHeader(token)).to.deep.equal({ alg: 'HS256' });
    const claims = decodeJwt(token);
    expect(Object.keys(claims)).to.deep.equal(['uid', 'ns', 'iat', 'exp', 'jti']);
    expect(claims).to.deep.include({ uid: 1886429390, ns: 'alice', iat: 1795618455, exp: 1795632855, jti });
  });

  it('when verified with the right key, then the claims come back', async () => {
    const { token, jti } = await signWebJwt(key, { uid: 7, ns: alice });
    const claims = await verifyWebJwt(token, key);
    expect(claims).to.include({ uid: 7, ns: 'alice', jti });
  });

  it('when verified with another key, then Invalid token', async () => {
    const { token } = await signWebJwt(key, { uid: 7, ns: alice });
    const err = await rejection(verifyWebJwt(token, new Uint8Array(randomBytes(32))));
    expect(err.code).to.equal('unauthenticated');
    expect(err.message).to.equal('Invalid token');
  });

  it('when expired, then Invalid token', async () => {
    const { token } = await signWebJwt(key, { uid: 7, ns: alice, ttlSec: 10 }, Date.now() - 60_000);
    expect((await rejection(verifyWebJwt(token, key))).message).to.equal('Invalid token');
  });

  it('when the ns claim is edited (alice → bob), then Invalid token', async () => {
    const { token } = await signWebJwt(key, { uid: 7, ns: alice });
    const [h, p, s] = token.split('.');
    const payload = JSON.parse(Buffer.from(p!, 'base64url').toString()) as Record<string, unknown>;
    const forged = `${h}.${b64({ ...payload, ns: 'bob' })}.${s}`;
    expect((await rejection(verifyWebJwt(forged, key))).message).to.equal('Invalid token');
  });

  it('when the algorithm is "none" or HS512, then Invalid token', async () => {
    const { token } = await signWebJwt(key, { uid: 7, ns: alice });
    const p = token.split('.')[1];
    expect((await rejection(verifyWebJwt(`${b64({ alg: 'none' })}.${p}.`, key))).message).to.equal('Invalid token');
    const hs512 = await new SignJWT({ uid: 7, ns: 'alice' }).setProtectedHeader({ alg: 'HS512' }).setIssuedAt().setExpirationTime('1h').setJti('j').sign(key);
    expect((await rejection(verifyWebJwt(hs512, key))).message).to.equal('Invalid token');
  });

  it('when uid or ns is missing or of the wrong type, then Invalid token payload', async () => {
    for (const claims of [{ ns: 'alice' }, { uid: '7', ns: 'alice' }, { uid: 7 }, { uid: 7, ns: 5 }]) {
      const t = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime('1h').setJti('j').sign(key);
      const err = await rejection(verifyWebJwt(t, key));
      expect(err.message, JSON.stringify(claims)).to.equal('Invalid token payload');
    }
  });

  it('when ns is not a valid namespace (control char, 257 bytes), then Invalid token', async () => {
    for (const ns of ['a\tb', 'n'.repeat(257)]) {
      const t = await new SignJWT({ uid: 7, ns }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime('1h').setJti('j').sign(key);
      expect((await rejection(verifyWebJwt(t, key))).message).to.equal('Invalid token');
    }
  });

  it('when the jti is revoked, then Invalid token; another token still passes', async () => {
    const a = await signWebJwt(key, { uid: 7, ns: alice });
    const b = await signWebJwt(key, { uid: 7, ns: alice });
    const rev: JwtRevocations = { isRevoked: (jti) => jti === a.jti, revokedBefore: () => undefined };
    expect((await rejection(verifyWebJwt(a.token, key, rev))).message).to.equal('Invalid token');
    expect((await verifyWebJwt(b.token, key, rev)).jti).to.equal(b.jti);
  });

  it('when the namespace has revokedBefore after iat, then Invalid token, and only for that namespace', async () => {
    const now = Date.now();
    const a = await signWebJwt(key, { uid: 7, ns: alice }, now);
    const b = await signWebJwt(key, { uid: 7, ns: 'bob' as Namespace }, now);
    const cutoff = now + 1;
    const rev: JwtRevocations = { isRevoked: async () => false, revokedBefore: async (ns) => (ns === 'alice' ? cutoff : undefined) };
    expect((await rejection(verifyWebJwt(a.token, key, rev))).message).to.equal('Invalid token');
    expect((await verifyWebJwt(b.token, key, rev)).ns).to.equal('bob');
    // Issued 1 ms after the cut-off, even within the same second: valid.
    const later = await signWebJwt(key, { uid: 7, ns: alice }, cutoff + 1);
    expect((await verifyWebJwt(later.token, key, rev)).ns).to.equal('alice');
  });

  it('when the token is garbage, then Invalid token', async () => {
    for (const t of ['', 'base:alice', 'a.b.c']) expect((await rejection(verifyWebJwt(t, key))).message).to.equal('Invalid token');
  });
});
