import type { SseFrame } from './sse-client.js';

export interface ResumingSse {
  /** Every event frame received (connection-changed and heartbeats left out), across reconnects. */
  events: SseFrame[];
  /** Each connection's first frame: `resume` is `ok`, `gap` or absent (a fresh stream). */
  connections: Array<{ at: number; resume: string | undefined; lastEventId: string | undefined }>;
  /** When each stream ended (the gateway went away, a network error). */
  drops: number[];
  close(): void;
}

/**
 * An SSE client that behaves like the browser's EventSource: when the stream ends it reconnects
 * (after `retryMs`, as EventSource's default reconnection time) and sends the last event id it
 * saw as `Last-Event-ID`, so the hub can replay what it missed. The token is fetched anew for
 * each connection attempt (it may change across a hub restart).
 */
export function openResumingSse(base: () => string, path: string, token: () => string, opts: { retryMs?: number } = {}): ResumingSse {
  const retryMs = opts.retryMs ?? 1000;
  const state: ResumingSse = { events: [], connections: [], drops: [], close: () => undefined };
  let lastEventId: string | undefined;
  let closed = false;
  let ac: AbortController | undefined;
  state.close = () => {
    closed = true;
    ac?.abort();
  };

  const once = async (): Promise<void> => {
    ac = new AbortController();
    const headers: Record<string, string> = { accept: 'text/event-stream', authorization: `Bearer ${token()}` };
    if (lastEventId) headers['last-event-id'] = lastEventId;
    const res = await fetch(`${base()}${path}`, { headers, signal: ac.signal });
    if (!res.ok || !res.body) {
      await res.body?.cancel();
      return;
    }
    const decoder = new TextDecoder();
    let buf = '';
    let first = true;
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buf += decoder.decode(chunk, { stream: true });
      let idx: number;
      while ((idx = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, idx);
        buf = buf.slice(idx + 2);
        const frame: SseFrame = { data: undefined };
        for (const line of block.split('\n')) {
          if (line.startsWith('data: ')) frame.data = JSON.parse(line.slice(6));
          else if (line.startsWith('id: ')) frame.id = line.slice(4);
        }
        if (first) {
          first = false;
          state.connections.push({ at: Date.now(), resume: frame.data?.data?.resume, lastEventId });
        }
        if (frame.id) lastEventId = frame.id;
        const type = frame.data?.type;
        if (type !== 'connection-changed' && type !== 'heartbeat') state.events.push(frame);
      }
    }
  };

  void (async () => {
    while (!closed) {
      try {
        await once();
      } catch {
        // the stream broke: reconnect below, as EventSource does
      }
      if (closed) break;
      state.drops.push(Date.now());
      await new Promise((r) => setTimeout(r, retryMs));
    }
  })();
  return state;
}
