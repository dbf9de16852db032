import { AppError } from '../../lib/errors.js';
import type { CallContext, HubCallContext } from '../../lib/context.js';
import { isNamespace } from '../../lib/namespace.js';
import { checkSize, DEFAULT_CONTENT_LIMITS, DEFAULT_MAX_MACHINES_PER_NAMESPACE, type ContentLimits } from '../../lib/limits.js';
import { isValidMachineMetadata } from './documents.js';
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

/** Fair-share limits of the machine service (TEAMHUB_MAX_* in the README). */
export interface MachineLimits extends ContentLimits {
  maxMachinesPerNamespace: number;
}

export const DEFAULT_MACHINE_LIMITS: Readonly<MachineLimits> = Object.freeze({ ...DEFAULT_CONTENT_LIMITS, maxMachinesPerNamespace: DEFAULT_MAX_MACHINES_PER_NAMESPACE });

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
 * Every method takes the caller's context first and resolves access the HAPI way inside
 * `ctx.namespace`: own → ok, another namespace's → permission_denied 'Machine access denied',
 * none → not_found 'Machine not found'; a refused call writes nothing. The admin methods are
 * hub-wide (their context has no namespace of its own).
 */
export class MachineDomain {
  constructor(
    private readonly store: MachineStore,
    private readonly events: MachineEvents,
    private readonly now: () => number = Date.now,
    private readonly limits: MachineLimits = DEFAULT_MACHINE_LIMITS,
  ) {}

  /** The error for an id that is not in `ns`: 403 when another namespace owns it, else 404. */
  private async accessError(id: string): Promise<AppError> {
    const owner = await this.store.ownerOf(id);
    return owner === null ? new AppError('not_found', MACHINE_NOT_FOUND) : new AppError('permission_denied', MACHINE_ACCESS_DENIED);
  }

  async get(ctx: CallContext, id: string): Promise<MachineRecord> {
    checkId(id);
    const rec = await this.store.get(ctx.namespace, id);
    if (!rec) throw await this.accessError(id);
    return rec;
  }

  list(ctx: CallContext, activeOnly: boolean): Promise<MachineRecord[]> {
    return this.store.list(ctx.namespace, { activeOnly });
  }

  async register(ctx: CallContext, input: RegisterInput): Promise<{ record: MachineRecord; created: boolean }> {
    checkId(input.id);
    checkSize('Metadata', input.metadataJson, this.limits.maxDocumentBytes);
    checkSize('Runner state', input.runnerStateJson, this.limits.maxDocumentBytes);
    const metadata = parseClientJson(input.metadataJson, 'metadata');
    const runnerState = input.hasRunnerState ? parseClientJson(input.runnerStateJson, 'runnerState') : null;
    const ns = ctx.namespace;
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const existing = await this.store.get(ns, input.id);
      if (existing) return { record: await this.refresh(ctx, existing, metadata, runnerState), created: false };
      if ((await this.store.ownerOf(input.id)) !== null) throw new AppError('permission_denied', MACHINE_ACCESS_DENIED);
      // A soft limit (two registrations at once may both pass), enough to stop one namespace filling the store.
      if ((await this.store.count(ns)) >= this.limits.maxMachinesPerNamespace) {
        throw new AppError('resource_exhausted', `Too many machines in this namespace (at most ${this.limits.maxMachinesPerNamespace})`);
      }
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
        ctx.log.info({ machineId: fresh.id }, 'machine registered');
        await this.events.upserted(ctx, fresh);
        return { record: fresh, created: true };
      }
      // Lost a race for this id: re-read; the winner's namespace decides.
    }
    throw new AppError('conflict', 'machine registration kept conflicting; retry');
  }

  /** Re-registration rules: see registration.ts. */
  private async refresh(ctx: CallContext, start: MachineRecord, metadata: unknown, runnerState: unknown): Promise<MachineRecord> {
    const ns = ctx.namespace;
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
    if (changes.metadata || changes.runnerState) await this.events.upserted(ctx, rec, changes);
    return rec;
  }

  /**
   * HAPI `machine-update-metadata` / `machine-update-state`: compare-and-swap on the document's
   * version. A mismatch answers the current version and document. A runnerState update also
   * marks the machine active (HAPI writes active=1, active_at=now there).
   */
  async updateDoc(ctx: CallContext, id: string, field: DocField, expectedVersion: number, jsonText: string | undefined): Promise<DocUpdateResult> {
    checkId(id);
    checkSize(field === 'metadata' ? 'Metadata' : 'Runner state', jsonText, this.limits.maxDocumentBytes);
    const value = parseClientJson(jsonText, field);
    const json = value === null ? null : JSON.stringify(value);
    const out = await this.store.cas(ctx.namespace, id, { field, expectedVersion, json, now: this.now(), markActive: field === 'runnerState' });
    if (!out) throw await this.accessError(id);
    const rec = out.record;
    if (out.ok) await this.events.upserted(ctx, rec, { [field]: true });
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
  async setActive(ctx: CallContext, id: string, active: boolean, at: number, healthJson: string | undefined): Promise<{ record: MachineRecord; changed: boolean }> {
    checkId(id);
    const ns = ctx.namespace;
    const health = healthJson === undefined ? null : JSON.stringify(parseClientJson(healthJson, 'health'));
    const now = this.now();
    const when = at > 0 ? Math.min(at, now) : now;
    // Read first: the common case (no transition) then costs one read and no write at all.
    const current = await this.get(ctx, id);
    // Already active (a runner's machine-update-state marks it so before its first machine-alive)
    // but without the health it now reports: store that once. The gateway only calls this on
    // liveness transitions, so this is never a write per heartbeat.
    if (current.active && active && health !== null && current.healthJson === null) {
      const rec = await this.store.setHealth(ns, id, health);
      if (!rec) throw await this.accessError(id);
      await this.events.upserted(ctx, rec);
      return { changed: false, record: rec };
    }
    const out =
      current.active === active
        ? { changed: false, record: current }
        : await this.store.setActive(ns, id, { active, at: when, healthJson: health });
    if (!out) throw await this.accessError(id);
    if (out.changed) {
      ctx.log.info({ machineId: id, active }, active ? 'machine came online' : 'machine went offline');
      await this.events.upserted(ctx, out.record);
      return out;
    }
    return { changed: false, record: health === null ? out.record : { ...out.record, healthJson: health } };
  }

  /** metadata.displayName (absent or empty removes it), CAS on metadataVersion. */
  async setDisplayName(ctx: CallContext, id: string, displayName: string | undefined): Promise<MachineRecord> {
    checkId(id);
    if (displayName !== undefined && displayName.length > MAX_DISPLAY_NAME) throw new AppError('invalid_argument', 'display name is too long');
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const rec = await this.get(ctx, id);
      const meta = parseClientJson(rec.metadataJson ?? undefined, 'metadata');
      if (!isValidMachineMetadata(meta)) throw new AppError('failed_precondition', 'Machine has no metadata');
      const next: Record<string, unknown> = { ...meta };
      if (displayName) next.displayName = displayName;
      else delete next.displayName;
      const text = JSON.stringify(next);
      if (text === rec.metadataJson) return rec;
      const out = await this.store.cas(ctx.namespace, id, { field: 'metadata', expectedVersion: rec.metadataVersion, json: text, now: this.now() });
      if (!out) throw await this.accessError(id);
      if (out.ok) {
        await this.events.upserted(ctx, out.record, { metadata: true });
        return out.record;
      }
    }
    throw new AppError('conflict', 'machine metadata kept changing; retry');
  }

  /**
   * HAPI's `machine-agy-models-changed`: tells the namespace's pages that the runner's
   * Antigravity models changed. Only a machine of the caller's namespace can be announced.
   */
  async announceAgyModelsChanged(ctx: CallContext, id: string): Promise<void> {
    const rec = await this.get(ctx, id);
    await this.events.agyModelsChanged(ctx, rec.namespace, rec.id);
  }

  /** Every machine (`ns` absent or null), or one namespace's. */
  adminList(_ctx: HubCallContext, ns: string | null | undefined): Promise<MachineRecord[]> {
    if (ns === null || ns === undefined) return this.store.adminList(null);
    if (!isNamespace(ns)) throw new AppError('invalid_argument', 'namespace is not valid');
    return this.store.adminList(ns);
  }

  /** Deletes the machine so its id can be registered in any namespace again. */
  async adminForget(ctx: HubCallContext, id: string): Promise<boolean> {
    checkId(id);
    const gone = await this.store.adminDelete(id);
    if (!gone) return false;
    ctx.log.info({ machineId: id, from: gone.namespace }, 'machine forgotten');
    await this.events.removed(ctx, gone.namespace, gone.id);
    return true;
  }

  /** Moves the machine to `to` (marked inactive there until its runner reconnects). */
  async adminTransfer(ctx: HubCallContext, id: string, to: string): Promise<MachineRecord> {
    checkId(id);
    if (!isNamespace(to)) throw new AppError('invalid_argument', 'to_namespace is not a valid namespace');
    const from = await this.store.ownerOf(id);
    if (from === null) throw new AppError('not_found', MACHINE_NOT_FOUND);
    const moved = from === to ? await this.store.get(from, id) : await this.store.adminTransfer(id, to, this.now());
    if (from === to && moved) return moved;
    if (!moved) throw new AppError('not_found', MACHINE_NOT_FOUND);
    ctx.log.info({ machineId: id, from, to }, 'machine transferred');
    await this.events.removed(ctx, from, id);
    await this.events.upserted(ctx, moved, { metadata: true, runnerState: true });
    return moved;
  }
}
