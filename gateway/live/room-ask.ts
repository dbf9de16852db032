import { NoRespondersError, type Msg, type NatsConnection } from '@nats-io/transport-node';
import type { Namespace as IoNamespace } from 'socket.io';
import { RoomAsk, RoomAskReply } from '../../lib/gen/teamhub/rpc/v1/rpc.js';
import type { Logger } from '../../lib/logger.js';
import type { Namespace } from '../../lib/namespace.js';
import { checkedPayload } from '../../lib/nats/connection.js';
import { roomAskSubject } from '../../lib/nats/subjects.js';

/** What the CLI sockets of a room answered, summed over every replica that holds some. */
export interface RoomAnswer {
  /** CLI sockets in the room (0: nobody was asked). */
  sockets: number;
  /** One ack per socket that answered in time. */
  acks: unknown[];
  /** Some socket did not answer in time. */
  timedOut: boolean;
}

/** Extra time for the NATS round trips on top of the sockets' own ack timeout. */
const GRACE_MS = 500;
/**
 * After one replica answered, how long to wait for another. Replicas answer when their own
 * sockets have acked, which is milliseconds apart unless one of them is still waiting for a
 * socket that never answers; such a late replica's sockets count as not having answered.
 */
const STALL_MS = 100;

/**
 * HAPI asks the CLI sockets of a session room a question with a broadcast and an ack timeout
 * (`update {t:"cancel-queued-message"}` must be confirmed within 500 ms). Here those sockets may
 * sit on any gateway replica: the question goes out on the room's subject, each replica holding
 * sockets of the room emits it to them and answers with their acks (`answerRoomAsk`). No replica
 * holding the room means no socket: answered at once, without waiting.
 */
export async function askRoom(nc: NatsConnection, ns: Namespace, id: string, update: unknown, timeoutMs: number, log: Logger): Promise<RoomAnswer> {
  const out: RoomAnswer = { sockets: 0, acks: [], timedOut: false };
  // No update: only count the sockets (nothing is sent to them).
  const updateJson = update === null ? '' : JSON.stringify(update);
  const data = RoomAsk.encode({ namespace: ns, updateJson, timeoutMs }).finish();
  try {
    const replies = await nc.requestMany(roomAskSubject(ns, 'session', id), data, { strategy: 'stall', stall: STALL_MS, maxWait: timeoutMs + GRACE_MS });
    for await (const msg of replies) {
      // Replies come on an inbox, not a namespaced subject: the payload's namespace is checked alone.
      let reply: RoomAskReply;
      try {
        reply = RoomAskReply.decode(msg.data);
      } catch (err) {
        log.warn({ err }, 'undecodable room answer dropped');
        continue;
      }
      if (reply.namespace !== ns) {
        log.warn({ subject: msg.subject }, 'room answer dropped: namespace mismatch');
        continue;
      }
      out.sockets += reply.sockets;
      out.timedOut ||= reply.timedOut;
      for (const a of reply.acksJson) {
        try {
          out.acks.push(JSON.parse(a) as unknown);
        } catch {
          // an ack that is not JSON says nothing
        }
      }
    }
  } catch (err) {
    if (!(err instanceof NoRespondersError)) throw err;
  }
  return out;
}

/**
 * The answering side, run by the room relay of a replica holding sockets of `room`: emits the
 * update to them with the asked timeout and replies with their acks.
 */
export function answerRoomAsk(io: IoNamespace, room: string, ns: Namespace, msg: Msg, log: Logger): void {
  const ask = checkedPayload(msg.subject, msg.data, (b) => RoomAsk.decode(b), ns, log);
  if (!ask) return;
  const reply = (sockets: number, acks: unknown[], timedOut: boolean) =>
    msg.respond(RoomAskReply.encode({ namespace: ns, sockets, acksJson: acks.map((a) => JSON.stringify(a ?? null)), timedOut }).finish());
  const sockets = io.adapter.rooms.get(room)?.size ?? 0;
  if (ask.updateJson === '' || sockets === 0) return void reply(sockets, [], false);
  let update: unknown;
  try {
    update = JSON.parse(ask.updateJson);
  } catch {
    return void reply(0, [], false);
  }
  io.to(room)
    .timeout(Math.max(1, Number(ask.timeoutMs)))
    .emit('update', update, (err: unknown, acks: unknown[]) => reply(sockets, Array.isArray(acks) ? acks : [], err !== null && err !== undefined));
}
