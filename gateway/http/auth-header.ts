import type { FastifyRequest } from 'fastify';
import { credentialFromHeader } from './credential.js';

/** HAPI's check: `Bearer <token>`, scheme case-insensitive, any whitespace between. */
const BEARER = /^Bearer\s+(.+)$/i;

export type BearerResult = { kind: 'missing' } | { kind: 'malformed' } | { kind: 'bad-encoding' } | { kind: 'ok'; token: string };

/**
 * Node decodes header bytes as Latin-1; clients send UTF-8, so the value is re-decoded as strict
 * UTF-8 (a deliberate fix over HAPI: `base:ünï` gives the same namespace from a header as from a
 * JSON body). Invalid UTF-8 is reported as `bad-encoding`.
 */
export function readBearer(request: FastifyRequest): BearerResult {
  const raw = request.headers.authorization;
  if (raw === undefined || raw === '') return { kind: 'missing' };
  const value = credentialFromHeader(raw);
  if (value === null) return { kind: 'bad-encoding' };
  const m = BEARER.exec(value);
  if (!m || !m[1] || m[1].trim() === '') return { kind: 'malformed' };
  return { kind: 'ok', token: m[1] };
}

/** The caller's address, for throttling and audit. */
export function clientAddrOf(request: FastifyRequest): string {
  return request.ip ?? request.socket.remoteAddress ?? 'unknown';
}
