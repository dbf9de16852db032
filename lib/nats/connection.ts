import { connect, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import type { NatsSettings } from '../config.js';
import type { Logger } from '../logger.js';
import type { Namespace } from '../namespace.js';
import { fromSubjectToken } from '../namespace.js';
import { SUBJECT_ROOT } from './subjects.js';

export type { NatsConnection, Subscription };

/**
 * Connects with unlimited reconnects so a NATS restart does not take the process down; with
 * several servers (a cluster) the client moves to another one when its server goes away.
 */
export async function connectNats(nats: Pick<NatsSettings, 'natsServers' | 'natsUser' | 'natsPassword'>, name: string, log: Logger): Promise<NatsConnection> {
  const nc = await connect({
    servers: nats.natsServers,
    user: nats.natsUser,
    pass: nats.natsPassword,
    name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    // Without this nats.js builds an Error (with a captured stack) for every request and KV or
    // JetStream call, only to keep an async stack trace for a failure; that was a tenth of the
    // gateway's and the session service's CPU under load. Failures still carry their message.
    noAsyncTraces: true,
  });
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect' || s.type === 'reconnect' || s.type === 'error') log.warn({ nats: s.type }, 'nats status changed');
    }
  })();
  return nc;
}

/** The namespace a subject was published under (the token after the root). */
export function namespaceOfSubject(subject: string): string | null {
  const parts = subject.split('.');
  if (parts[0] !== SUBJECT_ROOT || !parts[1] || parts[1].startsWith('_')) return null;
  try {
    return fromSubjectToken(parts[1]);
  } catch {
    return null;
  }
}

/**
 * Decodes a namespaced payload and checks that the namespace it carries is the one its
 * subject says; a mismatch is logged and dropped (returns null).
 */
export function checkedPayload<T extends { namespace: string }>(
  subject: string,
  data: Uint8Array,
  decode: (b: Uint8Array) => T,
  expected: Namespace | null,
  log: Logger,
): T | null {
  let msg: T;
  try {
    msg = decode(data);
  } catch (err) {
    log.warn({ err, subject }, 'undecodable event dropped');
    return null;
  }
  const fromSubject = namespaceOfSubject(subject);
  if (fromSubject !== msg.namespace || (expected !== null && msg.namespace !== expected)) {
    log.warn({ subject }, 'event dropped: namespace mismatch');
    return null;
  }
  return msg;
}
