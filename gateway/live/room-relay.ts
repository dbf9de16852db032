import { randomUUID } from 'node:crypto';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { Namespace as IoNamespace, Socket } from 'socket.io';
import { addressOf } from '../../lib/events/entity-event.js';
import type { Logger } from '../../lib/logger.js';
import type { Namespace } from '../../lib/namespace.js';
import { roomAskSubject } from '../../lib/nats/subjects.js';
import type { LiveEvent } from './live-event.js';
import type { FeedHandle, NamespaceFeeds } from './namespace-feeds.js';
import { answerRoomAsk } from './room-ask.js';
import { countDelivered } from '../../lib/metrics/events.js';
import { bufferedBytes, dropSlowSocket } from './socket-buffer.js';

export type RoomKind = 'session' | 'machine';

interface Room {
  name: string;
  sockets: Set<Socket>;
  /** A session room's answers to other replicas' questions for its CLI sockets (room-ask.ts). */
  ask?: Subscription;
}

/** Socket.IO room name; the namespace is part of it so ids of two namespaces never share a room. */
export const roomName = (ns: Namespace, kind: RoomKind, id: string) => `${kind}:${JSON.stringify([ns, id])}`;

/** How long a socket's handshake waits for its namespace's feed, so its first events are not missed. */
const WARM_WAIT_MS = 3_000;

/**
 * Hub → CLI fan-out: while this replica holds sockets of a namespace it reads that namespace's
 * feed (namespace-feeds.ts), and sends each event's HAPI `update` body, rendered once, to the
 * socket room of its entity (session events and messages to the session's room, machine events
 * to the machine's), except to the socket the change came from. A session room also answers
 * questions other replicas ask its CLI sockets (room-ask.ts). A socket whose unsent data passes
 * `maxBufferedBytes` is dropped (it reconnects by itself) rather than buffered without end.
 */
export class RoomRelay {
  private readonly rooms = new Map<string, Room>();
  private readonly joined = new Map<Socket, Set<string>>();
  private readonly feeds = new Map<Namespace, { handle: FeedHandle; sockets: Set<Socket> }>();
  /**
   * The `update` seq, one counter per namespace: a counter shared by every namespace would let
   * bob's socket count alice's traffic, the side channel the sealed SSE ids close. Kept while the
   * namespace has a socket here.
   */
  private readonly updateSeq = new Map<Namespace, number>();

  constructor(
    private readonly live: NamespaceFeeds,
    private readonly nc: NatsConnection,
    private readonly io: IoNamespace,
    private readonly replicaId: string,
    private readonly maxBufferedBytes: number,
    private readonly log: Logger,
  ) {}

  /**
   * Called during a socket's handshake: opens its namespace's feed and waits (bounded) until it
   * reads, so an event caused right after the socket connects reaches it.
   */
  prepare(ns: Namespace): Promise<boolean> {
    return this.live.warm(ns, WARM_WAIT_MS);
  }

  join(socket: Socket, ns: Namespace, kind: RoomKind, id: string): void {
    let feed = this.feeds.get(ns);
    if (!feed) {
      feed = { handle: this.live.subscribe(ns, (ev) => this.deliver(ev)), sockets: new Set() };
      this.feeds.set(ns, feed);
    }
    feed.sockets.add(socket);
    const name = roomName(ns, kind, id);
    let room = this.rooms.get(name);
    if (!room) {
      room = { name, sockets: new Set() };
      // Questions to the room's CLI sockets (cancel / retry of a queued message) from any replica:
      // a core NATS subscription per session room held here, not an event feed (the namespace's
      // feed carries the events; these subjects are not in its stream).
      if (kind === 'session') {
        room.ask = this.nc.subscribe(roomAskSubject(ns, 'session', id), {
          callback: (err, msg) => {
            if (!err) answerRoomAsk(this.io, name, ns, msg, this.log);
          },
        });
      }
      this.rooms.set(name, room);
    }
    room.sockets.add(socket);
    void socket.join(name);
    let mine = this.joined.get(socket);
    if (!mine) this.joined.set(socket, (mine = new Set()));
    mine.add(name);
  }

  /** Called on disconnect: leaves every room (unsubscribing rooms left empty), and the namespace's feed when it was the last socket. */
  leaveAll(socket: Socket): void {
    for (const name of this.joined.get(socket) ?? []) {
      const room = this.rooms.get(name);
      if (!room) continue;
      room.sockets.delete(socket);
      if (room.sockets.size === 0) {
        room.ask?.unsubscribe();
        this.rooms.delete(name);
      }
    }
    this.joined.delete(socket);
    for (const [ns, feed] of this.feeds) {
      if (!feed.sockets.delete(socket) || feed.sockets.size > 0) continue;
      feed.handle.release();
      this.feeds.delete(ns);
      this.updateSeq.delete(ns);
    }
  }

  /** Rooms currently held (tests). */
  roomCount(): number {
    return this.rooms.size;
  }

  private deliver(ev: LiveEvent): void {
    const change = ev.event.change;
    if (!change) return;
    const { entity, id } = addressOf(change);
    const room = this.rooms.get(roomName(ev.namespace, entity === 'machine' ? 'machine' : 'session', id));
    if (!room) return;
    let body: Record<string, unknown> | null;
    try {
      body = ev.rendered.socketUpdate;
    } catch (err) {
      this.log.warn({ err, reqId: ev.event.requestId }, 'event not renderable for sockets; dropped');
      return;
    }
    if (!body) return;
    for (const s of room.sockets) {
      const bytes = bufferedBytes(s);
      if (bytes > this.maxBufferedBytes) {
        this.log.warn({ socket: s.id, bufferedBytes: bytes }, 'socket reader too slow; disconnected');
        dropSlowSocket(s);
      }
    }
    const prefix = `${this.replicaId}/`;
    const skip = ev.event.origin?.startsWith(prefix) ? ev.event.origin.slice(prefix.length) : undefined;
    const target = skip ? this.io.to(room.name).except(skip) : this.io.to(room.name);
    const seq = (this.updateSeq.get(ev.namespace) ?? 0) + 1;
    this.updateSeq.set(ev.namespace, seq);
    // A random id, as HAPI's: nothing in it names this replica's host or process.
    target.emit('update', { id: randomUUID(), seq, createdAt: Number(ev.event.at) || Date.now(), body });
    countDelivered('socket', ev.event.at);
  }
}
