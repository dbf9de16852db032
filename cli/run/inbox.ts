// Web → CLI messages: live `update {t:'new-message'}` events plus a backfill after every (re)connect
// (`GET /cli/sessions/:id/messages?afterSeq=`), delivered in seq order, each exactly once.
import { hubRequest } from '../http.js';

export interface HubMessage {
  id: string;
  seq: number;
  localId?: string | null;
  content: unknown;
}

export interface UserText {
  text: string;
  localId: string | null;
}

/** The text of a user message, or null for anything else (agent output, events). */
export function userTextOf(msg: HubMessage): string | null {
  let content = msg.content;
  if (typeof content === 'string') {
    try {
      content = JSON.parse(content);
    } catch {
      return null;
    }
  }
  const c = content as { role?: unknown; content?: unknown } | null;
  if (!c || c.role !== 'user') return null;
  const inner = c.content as { type?: unknown; text?: unknown } | string | undefined;
  if (typeof inner === 'string') return inner;
  if (inner && inner.type === 'text' && typeof inner.text === 'string') return inner.text;
  return null;
}

export class Inbox {
  private lastSeq = 0;
  private readonly seen = new Set<string>();
  private backfilling = false;
  private pending: HubMessage[] = [];

  constructor(
    private readonly fetchAfter: (afterSeq: number) => Promise<HubMessage[]>,
    private readonly deliver: (msg: UserText) => void,
  ) {}

  /** A live message from the socket. */
  push(msg: HubMessage): void {
    if (!msg || typeof msg.id !== 'string') return;
    if (this.backfilling) this.pending.push(msg);
    else this.accept(msg);
  }

  /** Fetches everything after the last seen seq; live messages wait until it is done. */
  async backfill(): Promise<void> {
    if (this.backfilling) return;
    this.backfilling = true;
    try {
      for (let guard = 0; guard < 1000; guard++) {
        const batch = await this.fetchAfter(this.lastSeq);
        const before = this.lastSeq;
        for (const m of [...batch].sort((a, b) => a.seq - b.seq)) this.accept(m);
        if (batch.length < 200 || this.lastSeq === before) break;
      }
    } finally {
      this.backfilling = false;
      const queued = this.pending.sort((a, b) => a.seq - b.seq);
      this.pending = [];
      for (const m of queued) this.accept(m);
    }
  }

  private accept(msg: HubMessage): void {
    if (this.seen.has(msg.id)) return;
    this.seen.add(msg.id);
    if (typeof msg.seq === 'number' && msg.seq > this.lastSeq) this.lastSeq = msg.seq;
    const text = userTextOf(msg);
    if (text !== null) this.deliver({ text, localId: typeof msg.localId === 'string' ? msg.localId : null });
  }
}

export function messageFetcher(apiUrl: string, token: string, sessionId: string) {
  return async (afterSeq: number): Promise<HubMessage[]> => {
    const res = await hubRequest<{ messages?: HubMessage[] }>(
      apiUrl,
      `/cli/sessions/${encodeURIComponent(sessionId)}/messages?afterSeq=${afterSeq}&limit=200`,
      { bearer: token },
    );
    return Array.isArray(res?.messages) ? res.messages : [];
  };
}
