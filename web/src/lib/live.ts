import type { SyncEvent } from './types.js';

export type LiveStatus = 'connecting' | 'live' | 'reconnecting';

/**
 * One `all=true` SSE stream for the namespace. Listeners get every SyncEvent; `onResync` fires
 * after each (re)connect so views refetch what they may have missed. When the browser gives up on
 * the stream (an HTTP error such as 401), `probe` is called (an API request that ends the login on
 * 401) and the stream is reopened with backoff.
 */
export class Live {
  status: LiveStatus = 'connecting';
  private es: EventSource | null = null;
  private listeners = new Set<(e: SyncEvent) => void>();
  private statusListeners = new Set<(s: LiveStatus) => void>();
  private retryMs = 1_000;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;

  constructor(
    private readonly jwt: () => Promise<string>,
    private readonly probe: () => Promise<unknown>,
  ) {}

  on(fn: (e: SyncEvent) => void): () => void {
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
    const es = new EventSource(`/api/events?token=${encodeURIComponent(token)}&all=true`);
    this.es = es;
    es.onmessage = (m) => this.dispatch(m.data);
    es.onerror = () => {
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
    if (ev.type === 'connection-changed') {
      this.retryMs = 1_000;
      this.setStatus('live');
    }
    for (const fn of this.listeners) fn(ev);
  }

  private setStatus(s: LiveStatus): void {
    if (this.status === s) return;
    this.status = s;
    for (const fn of this.statusListeners) fn(s);
  }
}
