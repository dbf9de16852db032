import type { SyncEvent } from './types.js';

export type LiveStatus = 'connecting' | 'live' | 'reconnecting';

/** How a (re)connect went: `ok` means nothing was missed, `gap` that views must refetch. */
export type Resume = 'first' | 'ok' | 'gap';

/**
 * One `all=true` SSE stream for the namespace. Every event's id is kept, so a reopened stream
 * (after a network drop or a refreshed JWT) asks the hub to replay what was missed
 * (`lastEventId`); the `connection-changed` frame says whether it could (`resume`). When the browser
 * gives up on the stream (an HTTP error such as 401), `probe` is called (an API request that ends
 * the login on 401) and the stream is reopened with backoff. The page's visibility goes with the
 * stream and to `/api/visibility`, so the hub sends toasts to a visible page and pushes otherwise.
 */
export class Live {
  status: LiveStatus = 'connecting';
  /** The hub's id for this stream, needed by `/api/visibility`. */
  subscriptionId: string | null = null;
  private es: EventSource | null = null;
  private listeners = new Set<(e: SyncEvent, resume: Resume) => void>();
  private statusListeners = new Set<(s: LiveStatus) => void>();
  private retryMs = 1_000;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;
  private lastEventId: string | null = null;
  private opened = false;
  /** Whether the hub hands out SSE tickets (teamhub's /health says so; HAPI's does not). */
  private ticketsOffered: Promise<boolean> | null = null;

  constructor(
    private readonly jwt: () => Promise<string>,
    private readonly probe: () => Promise<unknown>,
    private readonly visibility: () => 'visible' | 'hidden' = () => 'visible',
  ) {}

  /** Every event; `connection-changed` carries how the (re)connect went. */
  on(fn: (e: SyncEvent, resume: Resume) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  onStatus(fn: (s: LiveStatus) => void): () => void {
    this.statusListeners.add(fn);
    return () => this.statusListeners.delete(fn);
  }

  /** (Re)opens the stream with the current JWT (call again after the JWT changed). */
  async open(): Promise<void> {
    clearTimeout(this.timer);
    this.es?.close();
    if (this.closed) return;
    let token: string;
    try {
      token = await this.jwt();
    } catch {
      return;
    }
    if (this.closed) return;
    // A 30 s single-use ticket instead of the JWT in the URL, where the hub offers one.
    const ticket = await this.ticket(token);
    if (this.closed) return;
    const q = new URLSearchParams(ticket ? { ticket, all: 'true', visibility: this.visibility() } : { token, all: 'true', visibility: this.visibility() });
    if (this.lastEventId) q.set('lastEventId', this.lastEventId);
    const es = new EventSource(`/api/events?${q}`);
    this.es = es;
    es.onmessage = (m) => {
      if (m.lastEventId) this.lastEventId = m.lastEventId;
      this.dispatch(m.data);
    };
    es.onerror = () => {
      if (ticket && es.readyState !== EventSource.CLOSED) {
        // The browser would retry with the spent ticket: reopen with a fresh one instead.
        es.close();
        this.setStatus('reconnecting');
        this.timer = setTimeout(() => void this.open(), Math.min(this.retryMs, 2_000));
        this.retryMs = Math.min(this.retryMs * 2, 30_000);
        return;
      }
      if (es.readyState !== EventSource.CLOSED) return this.setStatus('reconnecting');
      this.setStatus('reconnecting');
      this.timer = setTimeout(() => void this.recover(), this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, 30_000);
    };
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.es?.close();
    this.es = null;
  }

  /** A ticket for the stream, or null to send the JWT as HAPI's `?token=` (a hub without tickets, or a refusal). */
  private async ticket(token: string): Promise<string | null> {
    this.ticketsOffered ??= fetch('/health')
      .then((r) => r.json() as Promise<{ capabilities?: { sseTicket?: unknown } }>)
      .then((h) => h?.capabilities?.sseTicket === true)
      .catch(() => false);
    if (!(await this.ticketsOffered)) return null;
    try {
      const r = await fetch('/api/events/ticket', { method: 'POST', headers: { authorization: `Bearer ${token}` } });
      if (!r.ok) return null;
      const body = (await r.json()) as { ticket?: unknown };
      return typeof body.ticket === 'string' ? body.ticket : null;
    } catch {
      return null;
    }
  }

  private async recover(): Promise<void> {
    try {
      await this.probe();
    } catch {
      // a 401 ended the login (close() follows); other errors: try the stream again anyway
    }
    void this.open();
  }

  private dispatch(data: string): void {
    let ev: SyncEvent;
    try {
      ev = JSON.parse(data) as SyncEvent;
    } catch {
      return;
    }
    let resume: Resume = 'ok';
    if (ev.type === 'connection-changed') {
      const d = (ev.data ?? {}) as { subscriptionId?: unknown; resume?: unknown };
      this.subscriptionId = typeof d.subscriptionId === 'string' ? d.subscriptionId : null;
      resume = !this.opened ? 'first' : d.resume === 'ok' ? 'ok' : 'gap';
      this.opened = true;
      this.retryMs = 1_000;
      this.setStatus('live');
    }
    for (const fn of this.listeners) fn(ev, resume);
  }

  private setStatus(s: LiveStatus): void {
    if (this.status === s) return;
    this.status = s;
    for (const fn of this.statusListeners) fn(s);
  }
}
