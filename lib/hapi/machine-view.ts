/**
 * The HAPI `Machine` JSON (shared/src/schemas.ts MachineSchema) built from our proto Machine.
 * The real CLI validates it with a strict schema, so key order, nullability and number types
 * follow the reference hub's answers byte for byte (transcripts B and C).
 */
import type { Machine } from '../gen/teamhub/machine/v1/machine.js';
import { fromJsonText } from '../json.js';

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

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * HAPI's MachineMetadata requires string `host`, `platform` and `happyCliVersion`; anything
 * else (e.g. `{}`) is answered as `metadata: null`.
 */
export function isValidMachineMetadata(value: unknown): value is Record<string, unknown> {
  return (
    isPlainObject(value) &&
    typeof value.host === 'string' &&
    typeof value.platform === 'string' &&
    typeof value.happyCliVersion === 'string'
  );
}

/** HAPI's RunnerState requires a string `status`. */
export function isValidRunnerState(value: unknown): value is Record<string, unknown> {
  return isPlainObject(value) && typeof value.status === 'string';
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
