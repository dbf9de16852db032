import { EntityEvent } from '../../../lib/gen/teamhub/events/v1/events.js';
import { eventStreamName, type EventStreams } from '../../../lib/events/stream.js';
import type { Logger } from '../../../lib/logger.js';
import type { Namespace } from '../../../lib/namespace.js';
import { checkedPayload } from '../../../lib/nats/connection.js';
import { LiveEvent } from '../live-event.js';
import type { StreamPosition } from './event-id.js';

/** At most this many of one namespace's events are replayed; more means "gap" (HAPI's ring of 256). */
export const MAX_REPLAY = 256;

export type ResumePlan = { resume: 'ok'; events: LiveEvent[]; after: number } | { resume: 'gap'; after: number };

/**
 * What a reconnecting client missed: the events of its namespace's stream after the one its
 * `Last-Event-ID` names, up to `live.position` (where this replica's live feed takes over), or
 * "gap" when the id is unknown, of an older stream, older than the stream keeps, or more than
 * MAX_REPLAY events behind. `after` is the last sequence the client has then seen: live events
 * start after it. An id ahead of this replica's feed (issued by a replica that read further)
 * replays nothing and skips the live events up to it.
 */
export async function planResume(
  streams: EventStreams,
  ns: Namespace,
  from: StreamPosition | null,
  live: { epoch: number; position: number },
  log: Logger,
): Promise<ResumePlan> {
  if (from === null || from.epoch !== live.epoch) return { resume: 'gap', after: live.position };
  if (from.seq >= live.position) return { resume: 'ok', events: [], after: from.seq };
  if (live.position - from.seq > MAX_REPLAY) return { resume: 'gap', after: live.position };
  const name = eventStreamName(ns);
  const first = (await streams.jsm.streams.info(name)).state.first_seq;
  if (from.seq + 1 < first) return { resume: 'gap', after: live.position };
  const seqs = Array.from({ length: live.position - from.seq }, (_, i) => from.seq + 1 + i);
  const stored = await Promise.all(seqs.map((seq) => streams.jsm.streams.getMessage(name, { seq }).catch(() => null)));
  // A hole means the stream dropped its oldest events meanwhile: the client cannot catch up from here.
  if (stored.some((m) => m === null)) return { resume: 'gap', after: live.position };
  const events: LiveEvent[] = [];
  const ids = new Set<string>();
  for (const m of stored) {
    // An event the stream took twice (republished after its duplicate window) is replayed once.
    const msgId = m!.header?.get('Nats-Msg-Id');
    if (msgId && ids.has(msgId)) continue;
    if (msgId) ids.add(msgId);
    const event = checkedPayload(m!.subject, m!.data, (b) => EntityEvent.decode(b), ns, log);
    if (event) events.push(new LiveEvent(ns, { epoch: live.epoch, seq: m!.seq }, event));
  }
  return { resume: 'ok', events, after: live.position };
}
