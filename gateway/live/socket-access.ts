import { isAppError } from '../../lib/errors.js';
import type { CallContext } from '../../lib/context.js';
import type { ServiceClients } from '../deps.js';

export type Access = 'ok' | 'access-denied' | 'not-found';

function accessOf(err: unknown): Access {
  if (isAppError(err, 'permission_denied')) return 'access-denied';
  if (isAppError(err, 'not_found') || isAppError(err, 'invalid_argument')) return 'not-found';
  throw err;
}

/** HAPI's resolveSessionAccess: own namespace → ok; another → access-denied; nowhere → not-found. */
export async function sessionAccess(clients: ServiceClients, ctx: CallContext, sid: string): Promise<Access> {
  if (typeof sid !== 'string' || sid.length === 0) return 'not-found';
  try {
    await clients.session.call('getSession', { id: sid }, ctx);
    return 'ok';
  } catch (err) {
    return accessOf(err);
  }
}

export async function machineAccess(clients: ServiceClients, ctx: CallContext, mid: string): Promise<Access> {
  if (typeof mid !== 'string' || mid.length === 0) return 'not-found';
  try {
    await clients.machine.call('getMachine', { id: mid }, ctx);
    return 'ok';
  } catch (err) {
    return accessOf(err);
  }
}

/**
 * Per-socket cache of session access: `ok` and `access-denied` never change for an id (ids are
 * locked to one namespace), so a heartbeat costs no service call after the first.
 */
export class SessionAccessCache {
  private readonly known = new Map<string, Access>();

  constructor(private readonly clients: ServiceClients) {}

  seed(sid: string, access: Access): void {
    if (access !== 'not-found') this.known.set(sid, access);
  }

  async check(ctx: CallContext, sid: unknown): Promise<Access> {
    if (typeof sid !== 'string' || sid.length === 0) return 'not-found';
    const hit = this.known.get(sid);
    if (hit) return hit;
    const access = await sessionAccess(this.clients, ctx, sid);
    this.seed(sid, access);
    return access;
  }
}
