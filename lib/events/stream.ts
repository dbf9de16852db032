import { jetstream, jetstreamManager, type JetStreamClient, RetentionPolicy, StorageType, DiscardPolicy } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { SUBJECT_ROOT } from '../nats/subjects.js';

/**
 * One JetStream stream keeps recent entity events so any gateway replica can replay what an
 * SSE client missed. RPC subjects (`teamhub.<ns>.rpc.…`) are deliberately not captured:
 * JetStream would answer those requests with publish acks.
 */
export const EVENTS_STREAM = 'TEAMHUB_EVENTS';
export const EVENT_ENTITIES = ['session', 'machine', 'message'] as const;

export async function ensureEventStream(nc: NatsConnection): Promise<void> {
  const jsm = await jetstreamManager(nc);
  const config = {
    name: EVENTS_STREAM,
    subjects: EVENT_ENTITIES.map((e) => `${SUBJECT_ROOT}.*.${e}.>`),
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    max_age: 24 * 60 * 60 * 1_000_000_000, // nanoseconds
    max_msgs: 1_000_000,
    max_bytes: 1024 * 1024 * 1024,
  };
  try {
    await jsm.streams.info(EVENTS_STREAM);
    await jsm.streams.update(EVENTS_STREAM, config);
  } catch {
    try {
      await jsm.streams.add(config);
    } catch (err) {
      // Another process created it between our info and add.
      await jsm.streams.info(EVENTS_STREAM).catch(() => {
        throw err;
      });
    }
  }
}

export function eventsJetStream(nc: NatsConnection): JetStreamClient {
  return jetstream(nc);
}
