// Scheduled messages: HAPI holds a message with `scheduledAt` (epoch ms) until it is due, at most
// seven days ahead, and only without attachments or steering.

export const MAX_SCHEDULE_MS = 7 * 24 * 60 * 60 * 1000;

/** The value of a `datetime-local` input (local time, minutes) for an epoch time. */
export function toLocalInput(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** Checks a `datetime-local` value; returns the epoch time or the reason it cannot be used. */
export function parseSchedule(value: string, now: number): { at: number } | { error: string } {
  if (!value) return { error: 'Pick a date and time.' };
  const at = new Date(value).getTime();
  if (!Number.isFinite(at)) return { error: 'That is not a date and time.' };
  if (at <= now) return { error: 'Pick a time in the future.' };
  if (at > now + MAX_SCHEDULE_MS) return { error: 'A message can be scheduled at most 7 days ahead.' };
  return { at };
}
