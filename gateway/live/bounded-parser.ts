import { Decoder, Encoder, PacketType } from 'socket.io-parser';

/**
 * The event a socket receives in place of one that was too large to decode:
 * `[OVERSIZED_EVENT, {event, chars}]`, with the original's ack id, so its handler can answer.
 */
export const OVERSIZED_EVENT = 'teamhub:oversized-event';

/** `2[/nsp,][id]["name"` — the head of a text EVENT packet, before its JSON. */
const EVENT_HEAD = /^2(\/[^,]{0,256},)?(\d{0,16})\["((?:[^"\\]|\\.){0,128})"/;

interface ReconstructorLike {
  reconPack?: { type?: number };
}

/**
 * Socket.IO's packet decoder, bounded: a client event (not an ack) longer than `maxEventChars`
 * is not parsed at all. Engine.IO's frame limit has to allow large RPC answers (a file the agent
 * read), but no event a CLI sends is that large (a message, a document, a batch of ids are each
 * bounded far lower), and parsing a 7 MB `messages-consumed` would hold the gateway's event loop
 * for every other namespace. The socket gets OVERSIZED_EVENT instead, which the socket server
 * answers with a clear error. Binary attachments of an event are bounded the same way (a
 * connection that sends larger ones is closed).
 */
export function boundedParser(maxEventChars: number): { Encoder: typeof Encoder; Decoder: typeof Decoder; PacketType: typeof PacketType } {
  class BoundedDecoder extends Decoder {
    override add(obj: unknown): void {
      if (typeof obj === 'string' && obj.length > maxEventChars && obj.charCodeAt(0) === 0x32 /* '2': EVENT */) {
        const head = EVENT_HEAD.exec(obj.slice(0, 512));
        if (!head) throw new Error('oversized event packet');
        const nsp = head[1] ? head[1].slice(0, -1) : '/';
        let event = head[3] ?? '';
        try {
          event = JSON.parse(`"${event}"`) as string;
        } catch {
          // shown as sent
        }
        const packet: Record<string, unknown> = { type: PacketType.EVENT, nsp, data: [OVERSIZED_EVENT, { event, chars: obj.length }] };
        if (head[2]) packet.id = Number(head[2]);
        this.emitReserved('decoded', packet as never);
        return;
      }
      const recon = (this as unknown as { reconstructor?: ReconstructorLike }).reconstructor;
      if (recon?.reconPack?.type === PacketType.EVENT && typeof obj === 'object' && obj !== null) {
        const size = (obj as { byteLength?: number }).byteLength ?? 0;
        if (size > maxEventChars) throw new Error('oversized binary attachment');
      }
      super.add(obj);
    }
  }
  return { Encoder, Decoder: BoundedDecoder, PacketType };
}
