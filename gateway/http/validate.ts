import { z } from 'zod';
import { AppError } from '../../lib/errors.js';

/** Parses with a zod schema; a mismatch is HAPI's 400 with the given text (default `Invalid body`). */
export function parseOr400<S extends z.ZodType>(schema: S, value: unknown, message = 'Invalid body'): z.output<S> {
  const res = schema.safeParse(value);
  if (!res.success) throw new AppError('invalid_argument', message);
  return res.data;
}

/** The 400 AppError carrying HAPI's `issues` for a zod error. */
export function invalidWithIssues(error: z.ZodError, message = 'Invalid body'): AppError {
  return new AppError('invalid_argument', message, { details: { issuesJson: JSON.stringify(z.flattenError(error)) } });
}

/** `undefined` for null/undefined, else the value (proto optionals carry no null). */
export function orUndefined<T>(v: T | null | undefined): T | undefined {
  return v === null ? undefined : v;
}
