import type { NatsConnection } from '@nats-io/transport-node';
import { pino } from 'pino';
import type { EventSettings, NatsSettings } from '../../lib/config.js';
import type { EventOutbox } from '../../lib/events/outbox.js';
import { startEventPipeline, type EventPipeline } from '../../lib/events/pipeline.js';

/** The event settings a service reads by default (lib/config.ts), for tests that compose one by hand. */
export const TEST_EVENT_SETTINGS: EventSettings & Pick<NatsSettings, 'natsReplicas'> = {
  eventsPerNamespace: 10_000,
  eventBytesPerNamespace: 64 * 1024 * 1024,
  eventMaxAgeMs: 24 * 60 * 60 * 1000,
  eventAckWaitMs: 1000,
  natsReplicas: 1,
};

/** The outbox relay a service's main starts, over `outbox`, as tests wire services by hand. */
export function startTestPipeline(nc: NatsConnection, outbox: EventOutbox, settings: Partial<typeof TEST_EVENT_SETTINGS> = {}): Promise<EventPipeline> {
  return startEventPipeline({ nc, outbox, cfg: { ...TEST_EVENT_SETTINGS, ...settings } as EventSettings & NatsSettings, log: pino({ level: 'silent' }) });
}
