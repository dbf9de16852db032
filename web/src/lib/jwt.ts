/** What the page reads from the hub's web JWT (never verified here; the hub verifies it). */
export interface JwtClaims {
  ns: string;
  exp: number;
  /** Issued-at; `exp - iat` is the lifetime by the hub's clock, whatever this device's clock says. */
  iat: number;
}

function decodePart(part: string): unknown {
  const b64 = part.replace(/-/g, '+').replace(/_/g, '/');
  const padded = b64 + '='.repeat((4 - (b64.length % 4)) % 4);
  const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

/** The `ns` and `exp` claims of a JWT, or null when it is not a readable JWT. */
export function readClaims(token: string): JwtClaims | null {
  const part = token.split('.')[1];
  if (!part) return null;
  try {
    const p = decodePart(part) as Record<string, unknown>;
    const ns = typeof p.ns === 'string' ? p.ns : 'default';
    const exp = typeof p.exp === 'number' ? p.exp : 0;
    const iat = typeof p.iat === 'number' ? p.iat : Math.floor(Date.now() / 1000);
    return { ns, exp, iat };
  } catch {
    return null;
  }
}
