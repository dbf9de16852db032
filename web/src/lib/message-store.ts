// The messages of one open session: pages fetched with HAPI's cursor (back through history with
// `beforeSeq`+`beforeAt`, forward after a reconnect with `afterSeq`+`afterAt`+`epoch`), live rows
// from SSE merged in, and the send queue's states (queued, scheduled, delivered, unknown).
import type { StoredMessage } from './chat/conversation.js';

export interface Cursor {
  seq: number;
  /** HAPI positions a message at `invokedAt ?? createdAt`; a hub without it pages by seq alone. */
  at: number | null;
}

export interface PageInfo {
  hasMore: boolean;
  nextBeforeSeq?: number | null;
  nextBeforeAt?: number | null;
  nextAfterSeq?: number | null;
  nextAfterAt?: number | null;
  epoch?: number | null;
  reset?: boolean;
  direction?: string;
}

export interface MessagePage {
  messages: StoredMessage[];
  page: PageInfo;
}

export interface MessageState {
  messages: StoredMessage[];
  /** Where the next "older" page starts; null when there is none. */
  older: Cursor | null;
  hasMore: boolean;
  /** The newest stored message position known, for catching up after a reconnect. */
  newest: Cursor | null;
  epoch: number | null;
}

export const EMPTY: MessageState = { messages: [], older: null, hasMore: false, newest: null, epoch: null };

/** A row the page added before the hub stored it (its id is `local-<localId>`). */
export function isOptimistic(m: StoredMessage): boolean {
  return m.seq === null;
}

function positionAt(m: StoredMessage): number {
  return m.invokedAt ?? m.createdAt;
}

export function compareMessages(a: StoredMessage, b: StoredMessage): number {
  const d = positionAt(a) - positionAt(b);
  if (d !== 0) return d;
  const sa = a.seq ?? Number.MAX_SAFE_INTEGER;
  const sb = b.seq ?? Number.MAX_SAFE_INTEGER;
  return sa !== sb ? sa - sb : a.id.localeCompare(b.id);
}

/** Messages by id; a stored row replaces the optimistic row with the same localId; sorted. */
export function mergeMessages(existing: StoredMessage[], incoming: StoredMessage[]): StoredMessage[] {
  const byId = new Map<string, StoredMessage>();
  for (const m of existing) byId.set(m.id, m);
  const storedLocalIds = new Set<string>();
  for (const m of incoming) {
    const prev = byId.get(m.id);
    // A consumption seen live is kept when an older copy of the row arrives later.
    byId.set(m.id, prev && prev.invokedAt != null && m.invokedAt == null ? { ...m, invokedAt: prev.invokedAt } : m);
    if (m.localId && !isOptimistic(m)) storedLocalIds.add(m.localId);
  }
  const out = [...byId.values()].filter((m) => !(isOptimistic(m) && m.localId && storedLocalIds.has(m.localId)));
  return out.sort(compareMessages);
}

function newestOf(messages: StoredMessage[], current: Cursor | null): Cursor | null {
  let best = current;
  for (const m of messages) {
    if (m.seq === null) continue;
    const c = { seq: m.seq, at: positionAt(m) };
    if (!best || (best.at ?? 0) < c.at || ((best.at ?? 0) === c.at && best.seq < c.seq)) best = c;
  }
  return best;
}

function olderCursor(page: PageInfo): Cursor | null {
  if (!page.hasMore || page.nextBeforeSeq == null) return null;
  return { seq: page.nextBeforeSeq, at: page.nextBeforeAt ?? null };
}

/** The newest page (first load, or a reload after the hub said the history changed). */
export function applyLatest(state: MessageState, res: MessagePage, replace = false): MessageState {
  const keep = replace ? state.messages.filter(isOptimistic) : state.messages;
  const messages = mergeMessages(keep, res.messages);
  const hasOlderLoaded = !replace && state.older !== null && state.messages.length > res.messages.length;
  return {
    messages,
    older: hasOlderLoaded ? state.older : olderCursor(res.page),
    hasMore: hasOlderLoaded ? state.hasMore : res.page.hasMore,
    newest: newestOf(res.messages, replace ? null : state.newest),
    epoch: res.page.epoch ?? null,
  };
}

/** One page further back in history. */
export function applyOlder(state: MessageState, res: MessagePage): MessageState {
  return { ...state, messages: mergeMessages(state.messages, res.messages), older: olderCursor(res.page), hasMore: res.page.hasMore };
}

/** A catch-up page after a reconnect; `reset` (the history was rewritten) replaces everything. */
export function applyAfter(state: MessageState, res: MessagePage): MessageState {
  if (res.page.reset || res.page.direction === 'latest') return applyLatest(state, res, true);
  const next = res.page.nextAfterSeq != null ? { seq: res.page.nextAfterSeq, at: res.page.nextAfterAt ?? null } : null;
  return { ...state, messages: mergeMessages(state.messages, res.messages), newest: newestOf(res.messages, next ?? state.newest), epoch: res.page.epoch ?? state.epoch };
}

/** A row that arrived live over SSE. */
export function applyLive(state: MessageState, m: StoredMessage): MessageState {
  return { ...state, messages: mergeMessages(state.messages, [m]), newest: newestOf([m], state.newest) };
}

/** Query for the next older page (`beforeAt` only when the hub gave one: HAPI needs both or neither). */
export function olderQuery(state: MessageState): Record<string, string> | null {
  if (!state.hasMore || !state.older) return null;
  const q: Record<string, string> = { beforeSeq: String(state.older.seq) };
  if (state.older.at !== null) q.beforeAt = String(state.older.at);
  return q;
}

/** Query to fetch what was missed while disconnected, or null when only a reload can tell. */
export function catchUpQuery(state: MessageState): Record<string, string> | null {
  if (!state.newest || state.newest.at === null || state.epoch === null) return null;
  return { afterSeq: String(state.newest.seq), afterAt: String(state.newest.at), epoch: String(state.epoch) };
}

export function updateByLocalIds(state: MessageState, localIds: string[], patch: (m: StoredMessage) => StoredMessage): MessageState {
  const ids = new Set(localIds);
  const messages = state.messages.map((m) => (m.localId && ids.has(m.localId) ? patch(m) : m));
  return { ...state, messages: messages.sort(compareMessages) };
}

export function removeMessage(state: MessageState, messageId: string, localId?: string): MessageState {
  return { ...state, messages: state.messages.filter((m) => m.id !== messageId && !(localId && m.localId === localId)) };
}

export type Delivery =
  | { kind: 'sending' }
  | { kind: 'failed'; error: string }
  | { kind: 'scheduled'; at: number }
  | { kind: 'queued' }
  | { kind: 'unknown' }
  | { kind: 'delivered'; steered: boolean }
  | null;

/** What the page says about one of the user's own messages. */
export function deliveryOf(m: StoredMessage & { steered?: boolean }, outgoing: { state: 'sending' | 'sent' | 'failed'; error?: string } | undefined, now: number): Delivery {
  if (outgoing?.state === 'sending') return { kind: 'sending' };
  if (outgoing?.state === 'failed') return { kind: 'failed', error: outgoing.error ?? 'error' };
  if (!m.localId) return null;
  if (m.invokedAt != null) return { kind: 'delivered', steered: m.steered === true };
  if (m.deliveryState === 'indeterminate') return { kind: 'unknown' };
  if (m.scheduledAt != null && m.scheduledAt > now) return { kind: 'scheduled', at: m.scheduledAt };
  return { kind: 'queued' };
}
