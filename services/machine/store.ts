import type { EventOutbox } from '../../lib/events/outbox.js';
import type { Namespace } from '../../lib/namespace.js';

/**
 * One machine. `id` is GLOBAL (Mongo `_id`, SQLite primary key): an id belongs to exactly one
 * namespace. Client JSON (metadata, runner state, health) is kept as JSON text, never as a
 * document the store interprets.
 */
export interface MachineRecord {
  id: string;
  namespace: Namespace;
  seq: number;
  createdAt: number;
  updatedAt: number;
  active: boolean;
  activeAt: number;
  metadataJson: string | null;
  metadataVersion: number;
  runnerStateJson: string | null;
  runnerStateVersion: number;
  healthJson: string | null;
}

export type DocField = 'metadata' | 'runnerState';

export interface CasInput {
  field: DocField;
  expectedVersion: number;
  /** New JSON text, or null for JSON null. */
  json: string | null;
  now: number;
  /** Also set active=true, activeAt=now (HAPI's machine-update-state). */
  markActive?: boolean;
}

/** A version compare-and-swap: `ok` false means the version did not match; `record` is current. */
export type CasOutcome = { ok: boolean; record: MachineRecord };

/**
 * Every method takes the caller's namespace and filters on it, except `ownerOf` (which answers
 * only "which namespace owns this id", so callers can choose 403 over 404) and the `admin*`
 * methods, which only hub-scoped calls reach.
 */
export interface MachineStore {
  /** Where the service's events are stored beside its writes (lib/events/outbox.ts). */
  readonly outbox: EventOutbox;
  ownerOf(id: string): Promise<Namespace | null>;
  get(ns: Namespace, id: string): Promise<MachineRecord | null>;
  list(ns: Namespace, opts: { activeOnly: boolean }): Promise<MachineRecord[]>;
  /** How many machines the namespace holds (its limit is checked on register). */
  count(ns: Namespace): Promise<number>;
  /** Inserts a new machine; false when the id already exists (in any namespace). */
  insert(ns: Namespace, rec: MachineRecord): Promise<boolean>;
  /** Sets one JSON document if its version equals `expectedVersion`: version+1, seq+1, updatedAt. Null when absent. */
  cas(ns: Namespace, id: string, input: CasInput): Promise<CasOutcome | null>;
  /**
   * Writes active/activeAt/health only when `active` differs from the stored flag.
   * Returns changed=false (and writes nothing) otherwise; null when absent.
   */
  setActive(
    ns: Namespace,
    id: string,
    change: { active: boolean; at: number; healthJson: string | null },
  ): Promise<{ changed: boolean; record: MachineRecord } | null>;
  /** Stores the runner's health report as it is; null when absent. */
  setHealth(ns: Namespace, id: string, healthJson: string): Promise<MachineRecord | null>;
  adminList(ns: Namespace | null): Promise<MachineRecord[]>;
  /** Deletes the machine; returns what was deleted, or null. */
  adminDelete(id: string): Promise<MachineRecord | null>;
  /** Moves the machine to another namespace (seq+1, updatedAt); null when absent. */
  adminTransfer(id: string, to: Namespace, now: number): Promise<MachineRecord | null>;
  close(): Promise<void>;
}
