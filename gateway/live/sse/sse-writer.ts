import type { ServerResponse } from 'node:http';

/**
 * Writes SSE frames to one response and never buffers without end for a reader that does not
 * read: once more than `maxBufferedBytes` are still waiting in the response (the client stalled,
 * or reads slower than its events come), the connection is dropped instead of buffered. The
 * client's EventSource reconnects by itself and resumes from its `Last-Event-ID` (or is told
 * `gap` and resyncs), so a slow reader loses nothing but its place in the queue.
 */
export class SseWriter {
  private dropped = false;

  constructor(
    private readonly raw: ServerResponse,
    private readonly maxBufferedBytes: number,
    private readonly onDropped: (bufferedBytes: number) => void,
  ) {}

  /** Writes one frame; false when the connection is (now) dropped. */
  write(frame: string): boolean {
    if (this.dropped || this.raw.destroyed) return false;
    // Checked before the write, so one large event is still sent to a reader that keeps up.
    const buffered = this.raw.writableLength;
    if (buffered > this.maxBufferedBytes) {
      this.dropped = true;
      this.onDropped(buffered);
      this.raw.destroy();
      return false;
    }
    this.raw.write(frame);
    return true;
  }
}
