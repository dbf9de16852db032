/**
 * Fair-share limits that more than one process enforces (the gateway at the edge, the services
 * behind it), in one place so both sides agree on the number. Each has a default a team never
 * meets and a clear error when a client passes it; the README's configuration table lists them.
 */
import { AppError } from './errors.js';
import type { EnvReader } from './config.js';

/**
 * Ids one `messages-consumed` event may name. HAPI bounds a batch of queued-message ids at 1000
 * (its queued-state request schema); a CLI acknowledges one turn's messages at a time, so a real
 * client stays far below it, and a million ids would block the session service's event loop.
 */
export const MAX_CONSUMED_IDS = 1000;

/** The text a client is shown when it names too many ids at once. */
export const TOO_MANY_CONSUMED_IDS = `Too many localIds (at most ${MAX_CONSUMED_IDS})`;

/** Sizes of what clients store, read once from the environment (TEAMHUB_MAX_*_BYTES). */
export interface ContentLimits {
  /** Largest message content (its JSON text, UTF-8 bytes). */
  maxMessageBytes: number;
  /** Largest client document (session metadata, agent state, machine metadata, runner state), each. */
  maxDocumentBytes: number;
}

/**
 * Defaults that keep one entity event within the bus's message payload: a session event carries
 * its metadata and agent state, a message event its content, and an event that does not fit is
 * lost to every live client. `make run` gives nats-server an 8 MiB payload (NATS's own default is
 * 1 MiB, too small for a 2 MiB message); a 1 MB message is a normal thing to paste.
 */
export const DEFAULT_CONTENT_LIMITS: Readonly<ContentLimits> = Object.freeze({ maxMessageBytes: 2 * 1024 * 1024, maxDocumentBytes: 1024 * 1024 });

/** The NATS payload `make run` configures, room for the largest event the defaults allow. */
export const BUS_MAX_PAYLOAD_BYTES = 8 * 1024 * 1024;

export function readContentLimits(r: EnvReader): ContentLimits {
  return {
    maxMessageBytes: r.int('TEAMHUB_MAX_MESSAGE_BYTES', DEFAULT_CONTENT_LIMITS.maxMessageBytes, { min: 1024 }),
    maxDocumentBytes: r.int('TEAMHUB_MAX_DOCUMENT_BYTES', DEFAULT_CONTENT_LIMITS.maxDocumentBytes, { min: 1024 }),
  };
}

/** Throws payload_too_large (413) when `text` is over `max` bytes; `what` names it in the message. */
export function checkSize(what: string, text: string | undefined, max: number): void {
  if (text === undefined) return;
  // A UTF-8 character is at most 3 bytes per UTF-16 unit, so short texts need no counting.
  if (text.length * 3 <= max) return;
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > max) throw new AppError('payload_too_large', `${what} too large (${bytes} bytes; at most ${max})`);
}

/** How many sessions and machines one namespace may hold (TEAMHUB_MAX_SESSIONS/MACHINES_PER_NAMESPACE). */
export const DEFAULT_MAX_SESSIONS_PER_NAMESPACE = 10_000;
export const DEFAULT_MAX_MACHINES_PER_NAMESPACE = 1_000;

/** The most sessions one list call reads from a store: HAPI's own upper bound for `limit`. */
export const MAX_SESSION_LIST = 500;
