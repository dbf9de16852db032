import { RevocationEvent } from '../../lib/gen/teamhub/events/v1/events.js';
import { HUB_SUBJECTS } from '../../lib/nats/subjects.js';
import type { NatsConnection } from '../../lib/nats/connection.js';
import type { Logger } from '../../lib/logger.js';

/** Where revocations go, so every gateway drops its caches; the domain depends on this only. */
export interface RevocationSink {
  publish(ev: RevocationEvent): void;
}

/**
 * Core NATS publish on `HUB_SUBJECTS.revocation`. The durable record is in the store (gateways
 * re-read it through GetJwtVerifier), so a failed publish is logged, not thrown.
 */
export class NatsRevocationSink implements RevocationSink {
  constructor(
    private readonly nc: NatsConnection,
    private readonly log: Logger,
  ) {}

  publish(ev: RevocationEvent): void {
    try {
      this.nc.publish(HUB_SUBJECTS.revocation, RevocationEvent.encode(RevocationEvent.fromPartial(ev)).finish());
    } catch (err) {
      this.log.error({ err }, 'revocation event publish failed');
    }
  }
}
