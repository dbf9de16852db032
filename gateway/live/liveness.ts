import type { Logger } from '../../lib/logger.js';
import type { Namespace } from '../../lib/namespace.js';
import type { LivenessKind, LivenessTracker } from './socket-context.js';

/** HAPI ignores alive times older than this: a heartbeat from a clock that far behind is dropped. */
export const MAX_ALIVE_AGE_MS = 10 * 60 * 1000;

/** What a liveness transition does outside this replica's memory (store, NATS, KV). */
export interface LivenessEffects {
  /** inactive → active on this replica: mark active in the store, claim ownership. */
  activate(kind: LivenessKind, ns: Namespace, id: string, at: number, extra: Record<string, unknown> | undefined): Promise<void>;
  /** No heartbeat here for the window: mark inactive unless another live replica holds it. */
  expire(kind: LivenessKind, ns: Namespace, id: string, at: number): Promise<void>;
  /** Ended explicitly (session-end): mark inactive, release ownership. */
  end(kind: LivenessKind, ns: Namespace, id: string, at: number): Promise<void>;
  /** The session's `thinking` flag flipped: stored by the session service (one write per turn edge). */
  thinking(ns: Namespace, id: string, thinking: boolean, at: number): Promise<void>;
}

export interface LivenessOptions {
  sessionTimeoutMs: number;
  machineTimeoutMs: number;
  effects: LivenessEffects;
  log: Logger;
  clock?: () => number;
}

interface Entry {
  kind: LivenessKind;
  ns: Namespace;
  id: string;
  last: number;
  /** Activation done (or under way). */
  active: boolean;
  thinking: boolean;
  extra: Record<string, unknown> | undefined;
  /** Effects of one entity run one after another. */
  chain: Promise<void>;
}

const keyOf = (kind: LivenessKind, ns: string, id: string) => JSON.stringify([kind, ns, id]);

/**
 * Liveness kept where the socket is. A heartbeat only updates memory; the store and NATS see
 * transitions (active, thinking changed, inactive), never a heartbeat as such.
 */
export class Liveness implements LivenessTracker {
  private readonly entries = new Map<string, Entry>();
  private readonly clock: () => number;

  constructor(private readonly opts: LivenessOptions) {
    this.clock = opts.clock ?? Date.now;
  }

  touch(kind: LivenessKind, ns: Namespace, id: string, at: number, extra?: Record<string, unknown>): void {
    const now = this.clock();
    const when = Number.isFinite(at) && at > 0 ? Math.min(at, now) : now;
    if (when < now - MAX_ALIVE_AGE_MS) return;
    const key = keyOf(kind, ns, id);
    let e = this.entries.get(key);
    if (!e) {
      e = { kind, ns, id, last: when, active: false, thinking: false, extra, chain: Promise.resolve() };
      this.entries.set(key, e);
    } else {
      e.last = Math.max(e.last, when);
      if (extra !== undefined) e.extra = extra;
    }
    if (!e.active) {
      e.active = true;
      const entry = e;
      this.enqueue(e, async () => {
        try {
          await this.opts.effects.activate(kind, ns, id, when, extra);
        } catch (err) {
          entry.active = false; // the next heartbeat retries
          throw err;
        }
      });
    }
    const thinking = extra?.thinking;
    if (kind === 'session' && typeof thinking === 'boolean' && thinking !== e.thinking) {
      e.thinking = thinking;
      this.enqueue(e, () => this.opts.effects.thinking(ns, id, thinking, now));
    }
  }

  end(kind: LivenessKind, ns: Namespace, id: string, at: number): void {
    void this.endAndWait(kind, ns, id, at);
  }

  /** `end`, resolving once the transition (after any queued one) has run. */
  endAndWait(kind: LivenessKind, ns: Namespace, id: string, at: number): Promise<void> {
    const key = keyOf(kind, ns, id);
    const e = this.entries.get(key) ?? { kind, ns, id, last: at, active: false, thinking: false, extra: undefined, chain: Promise.resolve() };
    this.entries.delete(key);
    return this.enqueue(e, () => this.opts.effects.end(kind, ns, id, at || this.clock()));
  }

  lastAlive(kind: LivenessKind, ns: Namespace, id: string): number | undefined {
    return this.entries.get(keyOf(kind, ns, id))?.last;
  }

  runtime(kind: LivenessKind, ns: Namespace, id: string): Record<string, unknown> | undefined {
    return this.entries.get(keyOf(kind, ns, id))?.extra;
  }

  /** Alive on this replica within its window. */
  isActiveHere(kind: LivenessKind, ns: Namespace, id: string): boolean {
    const e = this.entries.get(keyOf(kind, ns, id));
    return e !== undefined && this.clock() - e.last <= this.timeoutOf(kind);
  }

  /** Expires every entry whose last heartbeat is older than its window. */
  sweep(): void {
    const now = this.clock();
    for (const [key, e] of this.entries) {
      if (now - e.last <= this.timeoutOf(e.kind)) continue;
      this.entries.delete(key);
      if (e.active) this.enqueue(e, () => this.opts.effects.expire(e.kind, e.ns, e.id, now));
    }
  }

  /** Resolves when every queued effect has run (tests, shutdown). */
  async settled(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  private readonly pending = new Set<Promise<void>>();

  private timeoutOf(kind: LivenessKind): number {
    return kind === 'session' ? this.opts.sessionTimeoutMs : this.opts.machineTimeoutMs;
  }

  private enqueue(e: Entry, job: () => Promise<void>): Promise<void> {
    const p = e.chain.then(job).catch((err: unknown) => {
      this.opts.log.warn({ err, kind: e.kind, id: e.id }, 'liveness transition failed');
    });
    e.chain = p;
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
    return p;
  }
}
