import { Metadata } from '@grpc/grpc-js';
import { randomUUID } from 'node:crypto';
import type { Namespace } from '../namespace.js';

/** Call metadata keys. The namespace is binary (`-bin`) so any Unicode name travels intact. */
export const MD_SECRET = 'teamhub-internal-secret';
export const MD_NAMESPACE = 'teamhub-namespace-bin';
export const MD_SCOPE = 'teamhub-scope';
export const MD_REQUEST_ID = 'teamhub-request-id';

/**
 * Who a call acts for: one namespace, or the hub as a whole (token resolution, admin). It is
 * what the client reads from a `CallContext` / `HubCallContext` (lib/context.ts), which both fit.
 */
export type CallScope = { namespace: Namespace; requestId?: string } | { hub: true; namespace?: Namespace; requestId?: string };

export function buildCallMetadata(secret: string, scope: CallScope): Metadata {
  const md = new Metadata();
  md.set(MD_SECRET, secret);
  md.set(MD_REQUEST_ID, scope.requestId ?? randomUUID());
  if ('hub' in scope) md.set(MD_SCOPE, 'hub');
  if (scope.namespace !== undefined) md.set(MD_NAMESPACE, Buffer.from(scope.namespace, 'utf8'));
  return md;
}
