/**
 * Pure rules for (re-)registering a machine (HAPI `POST /cli/machines`), as the reference hub
 * answers them:
 *
 * - New machine: metadata is stored only when it is valid HAPI MachineMetadata (string host,
 *   platform, happyCliVersion), else null (`{}` is answered as `metadata: null`). A runnerState
 *   given on the first registration is stored as sent. seq 0, both versions 1.
 * - Re-registration, metadata: the incoming object is merged over the stored one (hub-only keys
 *   such as `displayName` survive). Only when that changes the stored text, and the result is
 *   still valid metadata, is it written: metadataVersion+1, seq+1 (a changed host gives version
 *   2 and seq 1; identical metadata leaves version 1 untouched).
 * - Re-registration, runnerState: the live fields (status, pid, httpPort, startedAt, …) are owned
 *   by the runner's socket (`machine-update-state`), so a registration never overwrites them
 *   (`{"status":"offline"}` over a null runnerState stays null at version 1, and a new runner's
 *   `offline` registration still answers the old runner's `shutting-down` state).
 *   The one thing a registration may add is the runner's self-declared `capabilities` object,
 *   merged key by key into a stored runnerState that is valid (has a string status); when that
 *   changes something: runnerStateVersion+1, seq+1. Without a stored runnerState nothing is
 *   written, since `{capabilities}` alone is not a valid HAPI RunnerState.
 */
import { isPlainObject, isValidMachineMetadata, isValidRunnerState } from './documents.js';
import { fromJsonText } from '../../lib/json.js';

/** Metadata text to store for a NEW machine, or null. */
export function initialMetadataText(incoming: unknown): string | null {
  return isValidMachineMetadata(incoming) ? JSON.stringify(incoming) : null;
}

/** RunnerState text to store for a NEW machine, or null. */
export function initialRunnerStateText(incoming: unknown): string | null {
  return isPlainObject(incoming) ? JSON.stringify(incoming) : null;
}

/** The merged metadata text for a re-registration, or null when nothing should be written. */
export function mergedMetadataText(storedText: string | null, incoming: unknown): string | null {
  if (!isPlainObject(incoming)) return null;
  const stored = fromJsonText(storedText);
  const base = isPlainObject(stored) ? stored : {};
  const merged = { ...base, ...incoming };
  if (!isValidMachineMetadata(merged)) return null;
  const text = JSON.stringify(merged);
  return text === storedText ? null : text;
}

/** The runnerState text with merged capabilities, or null when nothing should be written. */
export function mergedRunnerCapabilitiesText(storedText: string | null, incoming: unknown): string | null {
  if (!isPlainObject(incoming)) return null;
  const caps = incoming.capabilities;
  if (!isPlainObject(caps) || Object.keys(caps).length === 0) return null;
  const stored = fromJsonText(storedText);
  if (!isValidRunnerState(stored)) return null;
  const current = isPlainObject(stored.capabilities) ? stored.capabilities : {};
  const mergedCaps = { ...current, ...caps };
  if (JSON.stringify(mergedCaps) === JSON.stringify(current)) return null;
  return JSON.stringify({ ...stored, capabilities: mergedCaps });
}
