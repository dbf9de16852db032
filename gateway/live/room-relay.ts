import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { Namespace as IoNamespace, Socket } from 'socket.io';
import { EntityEvent } from '../../lib/gen/teamhub/events/v1/events.js';
import type { Logger } from '../../lib/logger.js';
import type { Namespace } from '../../lib/namespace.js';
import { checkedPayload } from '../../lib/nats/connection.js';
import { entityWildcard } from '../../lib/nats/subjects.js';

export type RoomKind = 'session' | 'machine';

interface Room {
  name: string;
  subs: Subscription[];
  sockets: Set<Socket>;
}

/** Socket.IO room name; the namespace is part of it so ids of two namespaces never share a room. */
export const roomName = (ns: Namespace, kind: RoomKind, id: string) => `${kind}:${JSON.stringify([ns, id])}`;

/**
 * Hub → CLI fan-out: while this replica holds sockets in a room, it subscribes (core NATS) to
 * that entity's event subjects and emits each event's `update` body to the room, except to the
 * socket the change came from.
 */
export class RoomRelay {
  private readonly rooms = new Map<string, Room>();
  private readonly joined = new Map<Socket, Set<string>>();
  private updateSeq = 0;

  constructor(
    private readonly nc: NatsConnection,
    private readonly io: IoNamespace,
    private readonly replicaId: string,
    private readonly log: Logger,
  ) {}

  join(socket: Socket, ns: Namespace, kind: RoomKind, id: string): void {
    const name = roomName(ns, kind, id);
    let room = this.rooms.get(name);
    if (!room) {
      const subjects = kind === 'session' ? [entityWildcard(ns, 'session', id), entityWildcard(ns, 'message', id)] : [entityWildcard(ns, 'machine', id)];
      room = { name, sockets: new Set(), subs: subjects.map((s) => this.nc.subscribe(s, { callback: (err, msg) => {
            if (!err) this.deliver(name, ns, msg.subject, msg.data);
          },
        })) };
      this.rooms.set(name, room);
    }
    room.sockets.add(socket);
    void socket.join(name);
    let mine = this.joined.get(socket);
    if (!mine) this.joined.set(socket, (mine = new Set()));
    mine.add(name);
  }

  /** Called on disconnect: leaves every room, unsubscribing rooms left empty. */
  leaveAll(socket: Socket): void {
    for (const name of this.joined.get(socket) ?? []) {
      const room = this.rooms.get(name);
      if (!room) continue;
      room.sockets.delete(socket);
      if (room.sockets.size === 0) {
        for (const s of room.subs) s.unsubscribe();
        this.rooms.delete(name);
      }
    }
    this.joined.delete(socket);
  }

  /** Subscriptions currently held (tests). */
  roomCount(): number {
    return this.rooms.size;
  }

  private deliver(room: string, ns: Namespace, subject: string, data: Uint8Array): void {
    const ev = checkedPayload(subject, data, (b) => EntityEvent.decode(b), ns, this.log);
    if (!ev || ev.socketUpdateJson === undefined) return;
    let body: unknown;
    try {
      body = JSON.parse(ev.socketUpdateJson);
    } catch {
      this.log.warn({ subject }, 'undecodable socket update dropped');
      return;
    }
    const prefix = `${this.replicaId}/`;
    const skip = ev.origin?.startsWith(prefix) ? ev.origin.slice(prefix.length) : undefined;
    const target = skip ? this.io.to(room).except(skip) : this.io.to(room);
    target.emit('update', { id: `${this.replicaId}-${++this.updateSeq}`, seq: this.updateSeq, createdAt: Number(ev.at) || Date.now(), body });
  }
}
