import { randomUUID } from 'node:crypto';
import type { z } from 'zod';

/** Values for keys whose meaning a schema cannot say (a session id must name a real session). */
export type Hints = Record<string, unknown>;

type Def = { type: string; [k: string]: any };
const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

/** Candidates tried in order for a leaf; the first the leaf's schema accepts is taken. */
const STRINGS = () => ['x', '1', randomUUID(), 'default', 'a@b.test', 'http://localhost/x'];
const NUMBERS = () => [1, 0, Date.now()];

/**
 * A valid value for a zod schema (v4), built from its definition: objects get every key (optional
 * ones too, so each can be mutated), unions their first option that works, enums and literals
 * their first value, leaves the first candidate their schema accepts, and `hints` by key name
 * wherever a key must name something real. Returns undefined when no value was found.
 */
export function sampleOf(schema: z.ZodType, hints: Hints = {}, key = ''): unknown {
  if (key in hints) return hints[key];
  const def = defOf(schema);
  const ok = (v: unknown) => schema.safeParse(v).success;
  switch (def.type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [k, child] of Object.entries(def.shape as Record<string, z.ZodType>)) {
        const v = sampleOf(child, hints, k);
        if (v !== undefined) out[k] = v;
      }
      return out;
    }
    case 'optional':
    case 'nullable':
    case 'default':
    case 'readonly':
      return sampleOf(def.innerType, hints, key);
    case 'pipe':
      return sampleOf(def.in, hints, key);
    case 'union':
      for (const option of def.options as z.ZodType[]) {
        const v = sampleOf(option, hints, key);
        if (v !== undefined && ok(v)) return v;
      }
      return undefined;
    case 'enum':
      return Object.values(def.entries as Record<string, unknown>)[0];
    case 'literal':
      return (def.values as unknown[])[0];
    case 'array': {
      const item = sampleOf(def.element, hints, key);
      return item === undefined ? [] : [item];
    }
    case 'record':
      return {};
    case 'boolean':
      return true;
    case 'null':
      return null;
    case 'unknown':
    case 'any':
      return ok({}) ? {} : ok('x') ? 'x' : undefined;
    case 'string':
      return STRINGS().find(ok);
    case 'number':
    case 'int':
      return NUMBERS().find(ok);
    default:
      return [...STRINGS(), ...NUMBERS(), {}, true, null].find(ok);
  }
}

/** The top-level keys of an object schema (empty for anything else). */
export function keysOf(schema: z.ZodType): string[] {
  const def = defOf(schema);
  if (def.type === 'object') return Object.keys(def.shape);
  if (def.type === 'union') return [...new Set((def.options as z.ZodType[]).flatMap(keysOf))];
  if (def.type === 'pipe') return keysOf(def.in);
  return [];
}
