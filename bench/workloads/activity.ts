/**
 * Waits, through `GET /api/sessions`, until the hub shows sessions active (after their sockets
 * connected) or inactive again (after they closed and the hub's 30 s window passed), so that
 * liveness transitions land between measurements instead of inside a CPU window.
 */
import { sleep } from '../stats.js';
import type { RunContext } from './context.js';

const POLL_MS = 500;

async function activeIn(ctx: RunContext, ns: string): Promise<Map<string, boolean>> {
  const jwt = await ctx.api.webJwt(ns);
  const res = await fetch(`${ctx.api.url}/api/sessions`, { headers: { authorization: `Bearer ${jwt}` }, signal: AbortSignal.timeout(30_000) });
  if (!res.ok) throw new Error(`GET /api/sessions: ${res.status}`);
  const body = (await res.json()) as { sessions: Array<{ id: string; active: boolean }> };
  return new Map(body.sessions.map((s) => [s.id, s.active === true]));
}

/**
 * Resolves once every session listed in `byNs` (namespace → session ids, or every session of the
 * namespace when the list is empty) has `active === want`; after `timeoutMs` it notes a problem
 * and resolves anyway, so one slow hub cannot stall the whole run.
 */
export async function waitForActivity(ctx: RunContext, byNs: Map<string, string[]>, want: boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let pending = 0;
    for (const [ns, ids] of byNs) {
      // A hub too busy to answer (e.g. a 504 while it ends 2,000 sessions) is noted and asked again.
      const state = await activeIn(ctx, ns).catch((err: unknown) => {
        if (ctx.problems.length < 50) ctx.problems.push(`while waiting for sessions ${want ? 'active' : 'inactive'}: ${String((err as Error).message ?? err)}`);
        return null;
      });
      if (!state) {
        pending += Math.max(1, ids.length);
        continue;
      }
      const check = ids.length ? ids : [...state.keys()];
      pending += check.filter((id) => state.get(id) !== want).length;
    }
    if (pending === 0) return;
    if (Date.now() > deadline) {
      ctx.problems.push(`${pending} sessions still ${want ? 'inactive' : 'active'} after ${timeoutMs / 1000} s`);
      return;
    }
    await sleep(POLL_MS);
  }
}

/** namespace → session ids of socket targets (tokens are `<base>:<ns>`). */
export function sessionsByNamespace(targets: ReadonlyArray<{ sid: string; token: string }>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const t of targets) {
    const ns = t.token.slice(t.token.lastIndexOf(':') + 1);
    out.set(ns, [...(out.get(ns) ?? []), t.sid]);
  }
  return out;
}
