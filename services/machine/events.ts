import type { AnyCallContext } from '../../lib/context.js';
import type { EventChange } from '../../lib/events/entity-event.js';
import type { EventSink } from '../../lib/events/publisher.js';
import type { Namespace } from '../../lib/namespace.js';
import { toProtoMachine } from './proto-map.js';
import type { MachineRecord } from './store.js';

/** Which versioned documents a write changed (the CLI is sent an `update-machine` for these). */
export interface DocChanges {
  metadata?: boolean;
  runnerState?: boolean;
}

/**
 * Publishes typed machine events after durable writes, always under the namespace that owns the
 * machine (an admin's hub-wide call included), with the caller's request id. A failed publish is
 * logged, never thrown: the write already happened and clients resync.
 */
export class MachineEvents {
  constructor(private readonly sink: EventSink) {}

  async upserted(ctx: AnyCallContext, rec: MachineRecord, changes: DocChanges = {}): Promise<void> {
    await this.send(ctx, rec.namespace, {
      $case: 'machineUpserted',
      machineUpserted: { machine: toProtoMachine(rec), metadataChanged: changes.metadata === true, runnerStateChanged: changes.runnerState === true },
    });
  }

  /** The machine left this namespace (forgotten or transferred away). */
  async removed(ctx: AnyCallContext, ns: Namespace, id: string): Promise<void> {
    await this.send(ctx, ns, { $case: 'machineRemoved', machineRemoved: { machineId: id } });
  }

  /** The runner's Antigravity model list changed (no write; pages refetch it). */
  async agyModelsChanged(ctx: AnyCallContext, ns: Namespace, id: string): Promise<void> {
    await this.send(ctx, ns, { $case: 'machineAgyModelsChanged', machineAgyModelsChanged: { machineId: id } });
  }

  private async send(ctx: AnyCallContext, ns: Namespace, change: EventChange): Promise<void> {
    try {
      await this.sink.publish(ns, change, { requestId: ctx.requestId });
    } catch (err) {
      ctx.log.warn({ err, change: change.$case }, 'machine event publish failed (clients will resync)');
    }
  }
}
