import type { EventSink } from '../../lib/events/publisher.js';
import type { Logger } from '../../lib/logger.js';
import type { Namespace } from '../../lib/namespace.js';
import { fromJsonText } from '../../lib/json.js';
import { recordToHapi } from './machine-proto.js';
import type { MachineRecord } from './store.js';

export const MACHINE_UPDATED = 'machine-updated';

/** Which versioned documents a write changed, for the CLI-facing `update-machine` body. */
export interface DocChanges {
  metadata?: boolean;
  runnerState?: boolean;
}

/**
 * Publishes `machine-updated` entity events after durable writes, always under the namespace
 * that owns the machine. A failed publish is logged, never thrown: the write already happened
 * and clients resync.
 */
export class MachineEvents {
  constructor(
    private readonly sink: EventSink,
    private readonly log: Logger,
  ) {}

  async updated(rec: MachineRecord, changes: DocChanges = {}): Promise<void> {
    const socketUpdate =
      changes.metadata || changes.runnerState
        ? {
            t: 'update-machine',
            machineId: rec.id,
            metadata: changes.metadata ? { version: rec.metadataVersion, value: fromJsonText(rec.metadataJson) } : null,
            runnerState: changes.runnerState ? { version: rec.runnerStateVersion, value: fromJsonText(rec.runnerStateJson) } : null,
          }
        : undefined;
    await this.send(rec.namespace, rec.id, { type: MACHINE_UPDATED, machineId: rec.id, data: recordToHapi(rec) }, socketUpdate);
  }

  /** The machine left this namespace (forgotten or transferred away). */
  async removed(ns: Namespace, id: string): Promise<void> {
    await this.send(ns, id, { type: MACHINE_UPDATED, machineId: id, data: null });
  }

  private async send(ns: Namespace, id: string, syncEvent: Record<string, unknown>, socketUpdate?: Record<string, unknown>): Promise<void> {
    try {
      await this.sink.publish(ns, { entity: 'machine', entityId: id, type: MACHINE_UPDATED, syncEvent, socketUpdate });
    } catch (err) {
      this.log.warn({ err, machineId: id }, 'machine event publish failed (clients will resync)');
    }
  }
}
