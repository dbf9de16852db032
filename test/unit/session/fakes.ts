import type { EntityEventInput, EventSink } from '../../../lib/events/publisher.js';
import type { Namespace } from '../../../lib/namespace.js';
import { createRootLogger } from '../../../lib/logger.js';
import { SessionDomain } from '../../../services/session/domain.js';
import { SessionEvents } from '../../../services/session/events.js';
import { SqliteSessionStore } from '../../../services/session/store-sqlite.js';
import type { SessionStore } from '../../../services/session/store.js';

/** Records published events; can be told to fail every publish. */
export class RecordingSink implements EventSink {
  events: { ns: Namespace; input: EntityEventInput }[] = [];
  fail = false;

  async publish(ns: Namespace, input: EntityEventInput): Promise<void> {
    if (this.fail) throw new Error('nats down');
    this.events.push({ ns, input });
  }

  types(): string[] {
    return this.events.map((e) => e.input.type);
  }

  clear(): void {
    this.events = [];
  }
}

export const silentLog = createRootLogger('test', 'silent');

/** A domain over an in-memory SQLite store (optionally wrapped), a recording sink and a fixed clock. */
export function makeDomain(wrap: (s: SessionStore) => SessionStore = (s) => s) {
  const store = wrap(SqliteSessionStore.open(':memory:'));
  const sink = new RecordingSink();
  let now = 1_000;
  let ids = 0;
  const domain = new SessionDomain(store, new SessionEvents(sink, silentLog), () => now, () => `id-${++ids}`);
  return { store, sink, domain, setNow: (t: number) => (now = t) };
}
