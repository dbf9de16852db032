/**
 * The machine service's rules for the client documents it stores (HAPI's, which the real CLI and
 * runner rely on). They decide what is stored; the gateway only renders what was kept.
 */

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Machine metadata needs string `host`, `platform` and `happyCliVersion`; anything else (e.g.
 * `{}`) is stored as null.
 */
export function isValidMachineMetadata(value: unknown): value is Record<string, unknown> {
  return (
    isPlainObject(value) &&
    typeof value.host === 'string' &&
    typeof value.platform === 'string' &&
    typeof value.happyCliVersion === 'string'
  );
}

/** A runner state needs a string `status`. */
export function isValidRunnerState(value: unknown): value is Record<string, unknown> {
  return isPlainObject(value) && typeof value.status === 'string';
}
