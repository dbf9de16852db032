import type { NatsConnection } from '@nats-io/transport-node';
import type { EventSettings, NatsSettings } from '../config.js';
import type { Logger } from '../logger.js';
import { OutboxSink, outboxCalls, type EventOutbox } from './outbox.js';
import { OutboxRelay } from './outbox-relay.js';
import type { EventSink } from './publisher.js';
import { EventStreams, eventsJetStream } from './stream.js';

/** What a service that publishes entity events composes: the domains' sink and the call wrapper. */
export interface EventPipeline {
  /** The sink the domain publishes to (the store's outbox). */
  sink: EventSink;
  /** Runs each gRPC call as a unit of work of the outbox (lib/grpc/server.ts `aroundCall`). */
  aroundCall: <T>(fn: () => Promise<T>, requestId: string) => Promise<T>;
  relay: OutboxRelay;
  close(): Promise<void>;
}

/**
 * Starts the relay over a store's outbox (publishing whatever an earlier run left first) and
 * returns the sink and call wrapper a service's composition hands to its domain and gRPC server.
 */
export async function startEventPipeline(d: { nc: NatsConnection; outbox: EventOutbox; cfg: EventSettings & NatsSettings; log: Logger }): Promise<EventPipeline> {
  const streams = await EventStreams.open(d.nc, d.cfg, d.log);
  const relay = await OutboxRelay.start({ outbox: d.outbox, nc: d.nc, js: eventsJetStream(d.nc), streams, log: d.log, ackWaitMs: d.cfg.eventAckWaitMs });
  return {
    sink: new OutboxSink(d.outbox, relay),
    aroundCall: outboxCalls(d.outbox, relay),
    relay,
    async close() {
      await relay.close();
      await d.outbox.close();
    },
  };
}
