import type { CallContext } from '../../lib/context.js';
import type { Session } from '../../lib/gen/teamhub/session/v1/session.js';
import type { GatewayDeps } from '../deps.js';

const POLL_MS = 250;

/**
 * Waits until the session's stored `active` flag is `active` (a resumed CLI came alive, a handed-off
 * one ended), asking the session service every 250 ms as HAPI's hub checks its cache; false after
 * `timeoutMs`. The flag is written by whichever gateway replica holds the session's socket.
 */
export async function waitForActive(deps: Pick<GatewayDeps, 'clients'>, ctx: CallContext, id: string, active: boolean, timeoutMs: number): Promise<Session | null> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await deps.clients.session.call('getSession', { id }, ctx);
    if (res.session && res.session.active === active) return res.session;
    if (Date.now() >= deadline) return null;
    await new Promise((r) => setTimeout(r, Math.min(POLL_MS, Math.max(0, deadline - Date.now()))));
  }
}
