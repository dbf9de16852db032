import { waitFor } from './ports.js';

export interface SseFrame {
  data: any;
  id?: string;
}

export interface SseClient {
  status: number;
  headers: Headers;
  /** Frames received so far (heartbeats included). */
  frames: SseFrame[];
  /** Frames other than connection-changed and heartbeat. */
  events(): SseFrame[];
  waitFrame(pred: (f: SseFrame) => boolean, timeoutMs?: number): Promise<SseFrame>;
  /** Resolves with the time (Date.now()) the stream ended: the server closed it, or close() was called. */
  ended: Promise<number>;
  close(): void;
}

/** Opens `GET <path>` as an EventSource would and parses `data:`/`id:` frames as they arrive. */
export async function openSse(base: string, path: string, opts: { token?: string; headers?: Record<string, string> } = {}): Promise<SseClient> {
  const ac = new AbortController();
  const headers: Record<string, string> = { accept: 'text/event-stream', ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  const res = await fetch(`${base}${path}`, { headers, signal: ac.signal });
  const frames: SseFrame[] = [];
  let markEnded: (at: number) => void = () => {};
  const ended = new Promise<number>((resolve) => (markEnded = resolve));
  const client: SseClient = {
    status: res.status,
    headers: res.headers,
    frames,
    events: () => frames.filter((f) => f.data?.type !== 'connection-changed' && f.data?.type !== 'heartbeat'),
    waitFrame: (pred, timeoutMs = 5000) => waitFor(() => frames.find(pred) ?? null, { timeoutMs, what: 'SSE frame' }),
    ended,
    close: () => ac.abort(),
  };
  if (!res.ok || !res.body) {
    ac.abort();
    markEnded(Date.now());
    return client;
  }
  void (async () => {
    const decoder = new TextDecoder();
    let buf = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buf += decoder.decode(chunk, { stream: true });
        let idx;
        while ((idx = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, idx);
          buf = buf.slice(idx + 2);
          const frame: SseFrame = { data: undefined };
          for (const line of block.split('\n')) {
            if (line.startsWith('data: ')) frame.data = JSON.parse(line.slice(6));
            else if (line.startsWith('id: ')) frame.id = line.slice(4);
          }
          frames.push(frame);
        }
      }
    } catch {
      // aborted
    }
    markEnded(Date.now());
  })();
  return client;
}
