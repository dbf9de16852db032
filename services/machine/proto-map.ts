import type { Machine } from '../../lib/gen/teamhub/machine/v1/machine.js';
import type { MachineRecord } from './store.js';

/** Store record → wire Machine (absent optional = JSON null). */
export function toProtoMachine(rec: MachineRecord): Machine {
  return {
    id: rec.id,
    namespace: rec.namespace,
    seq: rec.seq,
    createdAt: rec.createdAt,
    updatedAt: rec.updatedAt,
    active: rec.active,
    activeAt: rec.activeAt,
    metadataJson: rec.metadataJson ?? undefined,
    metadataVersion: rec.metadataVersion,
    runnerStateJson: rec.runnerStateJson ?? undefined,
    runnerStateVersion: rec.runnerStateVersion,
    healthJson: rec.healthJson ?? undefined,
  };
}
