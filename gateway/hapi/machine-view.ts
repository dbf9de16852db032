/**
 * HAPI's `Machine` JSON built from our proto Machine. The real CLI validates it with a strict
 * schema, so key order, nullability and number types follow the reference hub's answers byte
 * for byte (a machine without documents answers `metadata: null, runnerState: null`).
 */
import type { Machine } from '../../lib/gen/teamhub/machine/v1/machine.js';
import { fromJsonText } from '../../lib/json.js';

export interface HapiMachine {
  id: string;
  namespace: string;
  seq: number;
  createdAt: number;
  updatedAt: number;
  active: boolean;
  activeAt: number;
  metadata: Record<string, unknown> | null;
  metadataVersion: number;
  runnerState: Record<string, unknown> | null;
  runnerStateVersion: number;
  health: unknown;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function objectOrNull(text: string | undefined): Record<string, unknown> | null {
  const v = fromJsonText(text);
  return isPlainObject(v) ? v : null;
}

/** Exact HAPI Machine JSON; key order: id … health. */
export function toHapiMachine(m: Machine): HapiMachine {
  return {
    id: m.id,
    namespace: m.namespace,
    seq: m.seq,
    createdAt: m.createdAt,
    updatedAt: m.updatedAt,
    active: m.active,
    activeAt: m.activeAt,
    metadata: objectOrNull(m.metadataJson),
    metadataVersion: m.metadataVersion,
    runnerState: objectOrNull(m.runnerStateJson),
    runnerStateVersion: m.runnerStateVersion,
    health: fromJsonText(m.healthJson),
  };
}
