import { SessionDomain } from '../../../services/session/domain.js';
import { SessionEvents } from '../../../services/session/events.js';
import { SqliteSessionStore } from '../../../services/session/store-sqlite.js';
import type { SessionStore } from '../../../services/session/store.js';
import { byNamespace, RecordingSink, silentLog } from '../call-context.js';

export { RecordingSink, silentLog };

/** A domain over an in-memory SQLite store (optionally wrapped), a recording sink and a fixed clock. */
export async function makeDomain(wrap: (s: SessionStore) => SessionStore = (s) => s) {
  const store = wrap(await SqliteSessionStore.open(':memory:'));
  const sink = new RecordingSink();
  let now = 1_000;
  let ids = 0;
  const domain = byNamespace(new SessionDomain(store, new SessionEvents(sink), () => now, () => `id-${++ids}`));
  return { store, sink, domain, setNow: (t: number) => (now = t) };
}
