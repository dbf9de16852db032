import { decodeUtf8 } from './body-parser.js';

/**
 * The one decoding every credential gets at the edge, whichever surface carried it: an
 * Authorization header (Node hands its bytes over as Latin-1; clients send UTF-8), a JSON body
 * (`POST /api/auth {accessToken}`), a socket handshake (`auth.token`). Each yields the same text
 * for the same credential, or null when the credential is not well-formed Unicode: invalid UTF-8
 * bytes in a header, or a lone surrogate (`"base:a\ud800"`) in JSON, which would otherwise reach
 * the auth service as `a\uFFFD`, a different credential than the client sent. A null is refused
 * as an invalid token on every surface (each with that surface's HAPI text).
 */
export function credentialFromHeader(raw: string): string | null {
  return decodeUtf8(Buffer.from(raw, 'latin1'));
}

/** A credential from JSON (a body field, a handshake's auth object): the string if it is well-formed Unicode, else null. */
export function credentialFromJson(raw: string): string | null {
  return raw.isWellFormed() ? raw : null;
}
