import { AppError } from '../../lib/errors.js';
import { isNamespace, type Namespace } from '../../lib/namespace.js';
import { isValidMachineMetadata } from '../../lib/hapi/machine-view.js';
import type { MachineEvents } from './events.js';
import type { DocField, MachineRecord, MachineStore } from './store.js';
import {
  initialMetadataText,
  initialRunnerStateText,
  mergedMetadataText,
  mergedRunnerCapabilitiesText,
} from './registration.js';

export const MACHINE_ACCESS_DENIED = 'Machine access denied';
export const MACHINE_NOT_FOUND = 'Machine not found';
const MAX_ID_LENGTH = 512;
const MAX_DISPLAY_NAME = 1000;
const CAS_ATTEMPTS = 8;

export interface RegisterInput {
  id: string;
  metadataJson?: string;
  hasRunnerState: boolean;
  runnerStateJson?: string;
}

export interface DocUpdateResult {
  ok: boolean;
  version: number;
  json: string | null;
  record: MachineRecord;
}

function parseClientJson(text: string | undefined, what: string): unknown {
  if (text === undefined) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new AppError('invalid_argument', `${what} is not valid JSON`, { cause: err });
  }
}

function checkId(id: string): void {
  if (typeof id !== 'string' || id.length === 0) throw new AppError('invalid_argument', 'machine id is required');
  if (id.length > MAX_ID_LENGTH) throw new AppError('invalid_argument', 'machine id is too long');
}

/**
 * Machines: one global id per machine, locked to the namespace that registered it first.
 * Every method resolves access the HAPI way: own → ok, another namespace's → permission_denied
 * 'Machine access denied', none → not_found 'Machine not found'; a refused call writes nothing.
 */
export class MachineDomain {
  constructor(
    private readonly store: MachineStore,
    private readonly events: MachineEvents,
    private readonly now: () => number = Date.now,
  ) {}

  /** The error for an id that is not in `ns`: 403 when another namespace owns it, else 404. */
  private async accessError(id: string): Promise<AppError> {
    const owner = await this.store.ownerOf(id);
    return owner === null ? new AppError('not_found', MACHINE_NOT_FOUND) : new AppError('permission_denied', MACHINE_ACCESS_DENIED);
  }

  async get(ns: Namespace, id: string): Promise<MachineRecord> {
    checkId(id);
    const rec = await this.store.get(ns, id);
    if (!rec) throw await this.accessError(id);
    return rec;
  }

  list(ns: Namespace, activeOnly: boolean): Promise<MachineRecord[]> {
    return this.store.list(ns, { activeOnly });
  }

  async register(ns: Namespace, input: RegisterInput): Promise<{ record: MachineRecord; created: boolean }> {
    checkId(input.id);
    const metadata = parseClientJson(input.metadataJson, 'metadata');
    const runnerState = input.hasRunnerState ? parseClientJson(input.runnerStateJson, 'runnerState') : null;
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const existing = await this.store.get(ns, input.id);
      if (existing) return { record: await this.refresh(ns, existing, metadata, runnerState), created: false };
      if ((await this.store.ownerOf(input.id)) !== null) throw new AppError('permission_denied', MACHINE_ACCESS_DENIED);
      const at = this.now();
      const fresh: MachineRecord = {
        id: input.id,
        namespace: ns,
        seq: 0,
        createdAt: at,
        updatedAt: at,
        active: false,
        activeAt: at,
        metadataJson: initialMetadataText(metadata),
        metadataVersion: 1,
        runnerStateJson: initialRunnerStateText(runnerState),
        runnerStateVersion: 1,
        healthJson: null,
      };
      if (await this.store.insert(ns, fresh)) {
        await this.events.updated(fresh);
        return { record: fresh, created: true };
      }
      // Lost a race for this id: re-read; the winner's namespace decides.
    }
    throw new AppError('conflict', 'machine registration kept conflicting; retry');
  }

  /** Re-registration rules: see registration.ts. */
  private async refresh(ns: Namespace, start: MachineRecord, metadata: unknown, runnerState: unknown): Promise<MachineRecord> {
    let rec = start;
    const changes = { metadata: false, runnerState: false };
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const text = mergedMetadataText(rec.metadataJson, metadata);
      if (text === null) break;
      const out = await this.store.cas(ns, rec.id, { field: 'metadata', expectedVersion: rec.metadataVersion, json: text, now: this.now() });
      if (!out) throw await this.accessError(rec.id);
      rec = out.record;
      if (out.ok) {
        changes.metadata = true;
        break;
      }
    }
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const text = mergedRunnerCapabilitiesText(rec.runnerStateJson, runnerState);
      if (text === null) break;
      const out = await this.store.cas(ns, rec.id, { field: 'runnerState', expectedVersion: rec.runnerStateVersion, json: text, now: this.now() });
      if (!out) throw await this.accessError(rec.id);
      rec = out.record;
      if (out.ok) {
        changes.runnerState = true;
        break;
      }
    }
    if (changes.metadata || changes.runnerState) await this.events.updated(rec, changes);
    return rec;
  }

  /**
   * HAPI `machine-update-metadata` / `machine-update-state`: compare-and-swap on the document's
   * version. A mismatch answers the current version and document. A runnerState update also
   * marks the machine active (HAPI writes active=1, active_at=now there).
   */
  async updateDoc(ns: Namespace, id: string, field: DocField, expectedVersion: number, jsonText: string | undefined): Promise<DocUpdateResult> {
    checkId(id);
    const value = parseClientJson(jsonText, field);
    const json = value === null ? null : JSON.stringify(value);
    const out = await this.store.cas(ns, id, { field, expectedVersion, json, now: this.now(), markActive: field === 'runnerState' });
    if (!out) throw await this.accessError(id);
    const rec = out.record;
    if (out.ok) await this.events.updated(rec, { [field]: true });
    return field === 'metadata'
      ? { ok: out.ok, version: rec.metadataVersion, json: rec.metadataJson, record: rec }
      : { ok: out.ok, version: rec.runnerStateVersion, json: rec.runnerStateJson, record: rec };
  }

  /**
   * Liveness transitions from the gateway. The store is written only when `active` changes
   * (health is stored with that write). A heartbeat that changes nothing writes nothing; the
   * answer then carries the caller's health without persisting it (the gateway keeps the live
   * health in memory).
   */
  async setActive(ns: Namespace, id: string, active: boolean, at: number, healthJson: string | undefined): Promise<{ record: MachineRecord; changed: boolean }> {
    checkId(id);
    const health = healthJson === undefined ? null : JSON.stringify(parseClientJson(healthJson, 'health'));
    const now = this.now();
    const when = at > 0 ? Math.min(at, now) : now;
    // Read first: the common case (no transition) then costs one read and no write at all.
    const current = await this.get(ns, id);
    // Already active (a runner's machine-update-state marks it so before its first machine-alive)
    // but without the health it now reports: store that once. The gateway only calls this on
    // liveness transitions, so this is never a write per heartbeat.
    if (current.active && active && health !== null && current.healthJson === null) {
      const rec = await this.store.setHealth(ns, id, health);
      if (!rec) throw await this.accessError(id);
      await this.events.updated(rec);
      return { changed: false, record: rec };
    }
    const out =
      current.active === active
        ? { changed: false, record: current }
        : await this.store.setActive(ns, id, { active, at: when, healthJson: health });
    if (!out) throw await this.accessError(id);
    if (out.changed) {
      await this.events.updated(out.record);
      return out;
    }
    return { changed: false, record: health === null ? out.record : { ...out.record, healthJson: health } };
  }

  /** metadata.displayName (absent or empty removes it), CAS on metadataVersion. */
  async setDisplayName(ns: Namespace, id: string, displayName: string | undefined): Promise<MachineRecord> {
    checkId(id);
    if (displayName !== undefined && displayName.length > MAX_DISPLAY_NAME) throw new AppError('invalid_argument', 'display name is too long');
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const rec = await this.get(ns, id);
      const meta = parseClientJson(rec.metadataJson ?? undefined, 'metadata');
      if (!isValidMachineMetadata(meta)) throw new AppError('failed_precondition', 'Machine has no metadata');
      const next: Record<string, unknown> = { ...meta };
      if (displayName) next.displayName = displayName;
      else delete next.displayName;
      const text = JSON.stringify(next);
      if (text === rec.metadataJson) return rec;
      const out = await this.store.cas(ns, id, { field: 'metadata', expectedVersion: rec.metadataVersion, json: text, now: this.now() });
      if (!out) throw await this.accessError(id);
      if (out.ok) {
        await this.events.updated(out.record, { metadata: true });
        return out.record;
      }
    }
    throw new AppError('conflict', 'machine metadata kept changing; retry');
  }

  adminList(ns: Namespace | null): Promise<MachineRecord[]> {
    return this.store.adminList(ns);
  }

  /** Deletes the machine so its id can be registered in any namespace again. */
  async adminForget(id: string): Promise<boolean> {
    checkId(id);
    const gone = await this.store.adminDelete(id);
    if (!gone) return false;
    await this.events.removed(gone.namespace, gone.id);
    return true;
  }

  /** Moves the machine to `to` (marked inactive there until its runner reconnects). */
  async adminTransfer(id: string, to: string): Promise<MachineRecord> {
    checkId(id);
    if (!isNamespace(to)) throw new AppError('invalid_argument', 'to_namespace is not a valid namespace');
    const from = await this.store.ownerOf(id);
    if (from === null) throw new AppError('not_found', MACHINE_NOT_FOUND);
    const moved = from === to ? await this.store.get(from, id) : await this.store.adminTransfer(id, to, this.now());
    if (from === to && moved) return moved;
    if (!moved) throw new AppError('not_found', MACHINE_NOT_FOUND);
    await this.events.removed(from, id);
    await this.events.updated(moved, { metadata: true, runnerState: true });
    return moved;
  }
}
