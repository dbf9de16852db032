import type { JetStreamManager, MsgRequest } from '@nats-io/jetstream';
import { EVENTS_STREAM } from '../../../lib/events/stream.js';
import type { Namespace } from '../../../lib/namespace.js';
import { namespaceWildcard } from '../../../lib/nats/subjects.js';
import type { FeedEvent } from './event-feed.js';

/** At most this many of one namespace's events are replayed; more means "gap" (HAPI's ring of 256). */
export const MAX_REPLAY = 256;

export type ResumePlan = { resume: 'ok'; events: FeedEvent[]; after: number } | { resume: 'gap'; after: number };

/**
 * What a reconnecting client missed after stream seq `from` (null = unknown id): the namespace's
 * events in order, or "gap" when the id is unknown, older than the stream keeps, or more than
 * MAX_REPLAY events behind. `after` is the last seq the plan covers (live events start after it).
 */
export async function planResume(jsm: JetStreamManager, ns: Namespace, from: number | null, bounds: { first: number; last: number }): Promise<ResumePlan> {
  if (from === null || from > bounds.last || from + 1 < bounds.first) return { resume: 'gap', after: bounds.last };
  const events: FeedEvent[] = [];
  const filter = namespaceWildcard(ns);
  let seq = from + 1;
  let after = bounds.last;
  for (;;) {
    const m = await jsm.streams.getMessage(EVENTS_STREAM, { seq, next_by_subj: filter } as MsgRequest); // STREAM.MSG.GET next_by_subj (server 2.9+)
    if (!m) break;
    events.push({ seq: m.seq, subject: m.subject, data: m.data });
    if (events.length > MAX_REPLAY) return { resume: 'gap', after: Math.max(after, m.seq) };
    after = Math.max(after, m.seq);
    seq = m.seq + 1;
  }
  return { resume: 'ok', events, after };
}
