import { randomBytes } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';
import { AppError } from '../errors.js';
import { isNamespace, type Namespace } from '../namespace.js';

/** HAPI's web JWT lifetime: 4 hours (the web page logs in again after that). */
export const WEB_JWT_TTL_SEC = 4 * 60 * 60;

/** The claims of a verified web JWT. HAPI's are `{uid, ns, iat, exp}`; teamhub adds `jti` for logout. */
export interface WebJwtClaims {
  uid: number;
  ns: Namespace;
  iat: number;
  exp: number;
  jti: string;
}

/** What the verifier asks about revocations; answers may be sync (a gateway cache) or async. */
export interface JwtRevocations {
  /** True when this jti was revoked (logout) and has not expired yet. */
  isRevoked(jti: string): boolean | Promise<boolean>;
  /**
   * Tokens of `ns` issued before this time (milliseconds since the epoch) are revoked; undefined
   * when none. Milliseconds, so a token issued right after a rotation, in the same second, lives.
   */
  revokedBefore(ns: string): number | undefined | Promise<number | undefined>;
}

export const NO_REVOCATIONS: JwtRevocations = { isRevoked: () => false, revokedBefore: () => undefined };

/**
 * Signs a web JWT exactly like HAPI: header `{"alg":"HS256"}`, claims `uid`, `ns`, `iat`,
 * `exp` (iat + ttl), plus a `jti` so one token can be revoked on logout. The jti is `<issue ms, base36>.<random>`
 * so a credential rotation cuts tokens to the millisecond without adding a claim HAPI lacks.
 */
export async function signWebJwt(
  secret: Uint8Array,
  claims: { uid: number; ns: Namespace; ttlSec?: number },
  nowMs: number = Date.now(),
): Promise<{ token: string; jti: string; iat: number; exp: number }> {
  const iat = Math.floor(nowMs / 1000);
  const exp = iat + (claims.ttlSec ?? WEB_JWT_TTL_SEC);
  const jti = `${nowMs.toString(36)}.${randomBytes(16).toString('base64url')}`;
  const token = await new SignJWT({ uid: claims.uid, ns: claims.ns })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .setJti(jti)
    .sign(secret);
  return { token, jti, iat, exp };
}

/**
 * Verifies a web JWT: HS256 only, signature, expiry, then the payload shape, the namespace and
 * revocations. Throws AppError('unauthenticated', 'Invalid token') for a bad signature, expiry,
 * algorithm, namespace or a revoked token, and 'Invalid token payload' when uid/ns/iat/jti are
 * missing or of the wrong type (HAPI's exact texts, which the web page shows).
 */
export async function verifyWebJwt(token: string, secret: Uint8Array, revocations: JwtRevocations = NO_REVOCATIONS): Promise<WebJwtClaims> {
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, secret, { algorithms: ['HS256'] }));
  } catch (err) {
    throw new AppError('unauthenticated', 'Invalid token', { cause: err });
  }
  const { uid, ns, iat, exp, jti } = payload;
  if (typeof uid !== 'number' || !Number.isSafeInteger(uid) || typeof ns !== 'string') {
    throw new AppError('unauthenticated', 'Invalid token payload');
  }
  if (typeof iat !== 'number' || typeof exp !== 'number' || typeof jti !== 'string' || jti === '') {
    throw new AppError('unauthenticated', 'Invalid token payload');
  }
  if (!isNamespace(ns)) throw new AppError('unauthenticated', 'Invalid token');
  if (await revocations.isRevoked(jti)) throw new AppError('unauthenticated', 'Invalid token');
  const cutoffMs = await revocations.revokedBefore(ns);
  const issuedMs = issuedAtMs(jti, iat);
  if (cutoffMs !== undefined && issuedMs < cutoffMs) throw new AppError('unauthenticated', 'Invalid token');
  return { uid, ns, iat, exp, jti };
}

/** The issue time in ms carried by the jti, when it agrees with `iat`; else the start of `iat`'s second. */
export function issuedAtMs(jti: string, iatSec: number): number {
  const ms = parseInt(jti.split('.')[0] ?? '', 36);
  return Number.isSafeInteger(ms) && Math.floor(ms / 1000) === iatSec ? ms : iatSec * 1000;
}
