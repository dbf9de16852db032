import { positionOf, type MessagePosition, type MessageRecord, type MessageQueueStore } from './store.js';
import type { Namespace } from '../../lib/namespace.js';

/**
 * How many queued messages (posted, not taken by the agent yet) the latest page carries besides
 * its newest `limit`: the most recent ones. HAPI adds all of them; we bound it like every other
 * read of a history.
 */
export const QUEUED_ON_LATEST_PAGE = 200;

export interface PageQuery {
  limit: number;
  before?: MessagePosition;
  after?: MessagePosition;
  until?: MessagePosition;
  epoch?: number;
}

export type PageDirection = 'latest' | 'before' | 'after';

export interface MessagesPage {
  messages: MessageRecord[];
  direction: PageDirection;
  limit: number;
  epoch: number;
  /** An after-cursor of another epoch was refused: this is the latest page, start over. */
  reset: boolean;
  nextBefore: MessagePosition | null;
  nextAfter: MessagePosition | null;
  snapshotHead: MessagePosition | null;
  hasMore: boolean;
}

const compare = (a: MessagePosition, b: MessagePosition) => (a.at !== b.at ? a.at - b.at : a.seq - b.seq);

/**
 * HAPI's message cursor over positions (invokedAt ?? createdAt, seq): the newest page (with the
 * queued messages, which the web shows at the end), a page before a position, or everything after
 * a position up to a snapshot head (`until`, or the newest message). An after-cursor from another
 * epoch (messages were inserted before the head or deleted since) gets the newest page with
 * `reset`. Every read is one bounded, indexed query.
 */
export async function readMessagesPage(store: MessageQueueStore, ns: Namespace, sessionId: string, q: PageQuery): Promise<MessagesPage> {
  const epoch = await store.messageEpoch(ns, sessionId);
  if (q.after) {
    if (q.epoch !== undefined && q.epoch !== epoch) return latestOrBefore(store, ns, sessionId, q.limit, null, epoch, true);
    return afterPage(store, ns, sessionId, q.limit, q.after, q.until ?? null, epoch);
  }
  return latestOrBefore(store, ns, sessionId, q.limit, q.before ?? null, epoch, false);
}

async function latestOrBefore(
  store: MessageQueueStore,
  ns: Namespace,
  sessionId: string,
  limit: number,
  before: MessagePosition | null,
  epoch: number,
  reset: boolean,
): Promise<MessagesPage> {
  const [snapshotHead, rows, queued] = await Promise.all([
    store.newestPosition(ns, sessionId),
    store.messagesBefore(ns, sessionId, limit, before ?? undefined),
    before === null ? store.queuedMessages(ns, sessionId, QUEUED_ON_LATEST_PAGE) : Promise.resolve([]),
  ]);
  const byId = new Map<string, MessageRecord>();
  for (const m of [...rows, ...queued]) byId.set(m.id, m);
  const messages = [...byId.values()].sort((a, b) => compare(positionOf(a), positionOf(b)));
  const oldest = rows[0];
  const nextBefore = oldest ? positionOf(oldest) : null;
  const hasMore = nextBefore !== null && (await store.hasMessagesBefore(ns, sessionId, nextBefore));
  return { messages, direction: before ? 'before' : 'latest', limit, epoch, reset, nextBefore, nextAfter: null, snapshotHead, hasMore };
}

async function afterPage(
  store: MessageQueueStore,
  ns: Namespace,
  sessionId: string,
  limit: number,
  after: MessagePosition,
  until: MessagePosition | null,
  epoch: number,
): Promise<MessagesPage> {
  const current = await store.newestPosition(ns, sessionId);
  // The page ends at the snapshot the client asked for, or at the newest message if that is earlier.
  const head = current && until ? (compare(until, current) <= 0 ? until : current) : (until ?? current);
  const base = { direction: 'after' as const, limit, epoch, reset: false, nextBefore: null, snapshotHead: head };
  if (!head || compare(head, after) <= 0) return { ...base, messages: [], nextAfter: after, hasMore: false };
  const messages = await store.messagesAfter(ns, sessionId, limit, after, head);
  const last = messages[messages.length - 1];
  const nextAfter = last ? positionOf(last) : head;
  return { ...base, messages, nextAfter, hasMore: last !== undefined && compare(nextAfter, head) < 0 };
}
