import { SessionDomain } from '../../../services/session/domain.js';
import { SessionEvents } from '../../../services/session/events.js';
import { MessageQueue } from '../../../services/session/message-queue.js';
import { SqliteSessionStore } from '../../../services/session/store-sqlite.js';
import type { Namespace } from '../../../lib/namespace.js';
import { byNamespace, RecordingSink } from '../call-context.js';

export const alice = 'alice' as Namespace;
export const bob = 'bob' as Namespace;

/** Metadata of a session of `flavor` (plus extra keys), as the CLI writes it. */
export const metadataOf = (flavor: string, extra: Record<string, unknown> = {}) => JSON.stringify({ path: '/p', host: 'h', flavor, ...extra });

/**
 * The session domain and its message queue over one in-memory SQLite store, a recording sink
 * and a settable clock; `scheduled` records the due times the domain announced.
 */
export async function makeQueue() {
  const store = await SqliteSessionStore.open(':memory:');
  const sink = new RecordingSink();
  let now = 1_000_000;
  let ids = 0;
  const scheduled: number[] = [];
  const clock = () => now;
  const newId = () => `m-${++ids}`;
  const events = new SessionEvents(sink);
  const sessions = new SessionDomain(store, events, clock, newId, (at) => scheduled.push(at));
  const queue = new MessageQueue(store, events, sessions, clock, newId);
  return {
    store,
    sink,
    scheduled,
    domain: byNamespace(sessions),
    queue: byNamespace(queue),
    setNow: (t: number) => (now = t),
    now: () => now,
    /** An active session of `flavor` in `ns`. */
    async session(ns: Namespace = alice, flavor = 'claude', extra: Record<string, unknown> = {}) {
      const { session } = await byNamespace(sessions).createOrLoad(ns, { tag: `t-${++ids}`, metadataJson: metadataOf(flavor, extra) });
      await byNamespace(sessions).setActive(ns, session.id, true, now);
      sink.clear();
      return session;
    },
  };
}
