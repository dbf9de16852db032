/**
 * When the launcher restarts a child that died, and when it gives up. Pure, so the numbers can be
 * tested without processes.
 *
 * A child that crashes is restarted after a delay that doubles with every crash inside the
 * window (0.5 s, 1 s, 2 s, 4 s, ... capped), so a child that dies once in a while comes back at
 * once while one that dies at every start does not spin a core. The `limit`-th crash inside the
 * window is a crash loop: restarting again would only repeat it, so the hub stops and shows why.
 */

export interface RestartPolicy {
  /** Crashes inside `windowMs` that count as a crash loop (the hub stops at this one). */
  limit: number;
  windowMs: number;
  /** The delay before the first restart; each further crash inside the window doubles it. */
  backoffMs: number;
  /** The longest delay between a crash and its restart. */
  maxBackoffMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = { limit: 5, windowMs: 60_000, backoffMs: 500, maxBackoffMs: 15_000 };

export type RestartDecision =
  | { action: 'restart'; delayMs: number; crashesInWindow: number }
  | { action: 'give-up'; crashesInWindow: number };

/** Drops the crash times that fell out of the window (mutates and returns `crashes`). */
function inWindow(crashes: number[], now: number, windowMs: number): number[] {
  while (crashes.length > 0 && now - crashes[0]! >= windowMs) crashes.shift();
  return crashes;
}

/** Keeps one child's recent crash times and decides what each new crash leads to. */
export class CrashHistory {
  private readonly crashes: number[] = [];

  constructor(private readonly policy: RestartPolicy) {}

  /** Records a crash at `now` and says whether to restart (after how long) or to give up. */
  crashed(now: number): RestartDecision {
    const recent = inWindow(this.crashes, now, this.policy.windowMs);
    recent.push(now);
    const n = recent.length;
    if (n >= this.policy.limit) return { action: 'give-up', crashesInWindow: n };
    const delayMs = Math.min(this.policy.backoffMs * 2 ** (n - 1), this.policy.maxBackoffMs);
    return { action: 'restart', delayMs, crashesInWindow: n };
  }
}
