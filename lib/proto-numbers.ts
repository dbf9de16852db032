/**
 * Numbers a client sends that travel in proto integer fields. JSON has one number type, so a
 * client can send `1e308`, `-1e308` or `1.5` where the service keeps an int64 (a version, a
 * timestamp in ms); protobuf's encoder throws on those. They are checked at the edge against
 * the field's type, and refused with a clear error there.
 */

/** An int64 field as ts-proto carries it (`forceLong=number`): a safe integer. */
export function isInt64(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v);
}

/** A non-negative int64 (versions, sequence numbers, timestamps in ms). */
export function isUint64(v: unknown): v is number {
  return isInt64(v) && v >= 0;
}

/** An int32 field. */
export function isInt32(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= -0x8000_0000 && v <= 0x7fff_ffff;
}

/**
 * An optional int64 the client may send: absent (undefined or null) → `{ ok: true, value: undefined }`,
 * a safe integer → its value, anything else (a float, out of range, a string) → `{ ok: false }`.
 */
export function optionalInt64(v: unknown): { ok: true; value: number | undefined } | { ok: false } {
  if (v === undefined || v === null) return { ok: true, value: undefined };
  return isInt64(v) ? { ok: true, value: v } : { ok: false };
}
