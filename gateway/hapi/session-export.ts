/**
 * HAPI's per-session export (`GET /api/sessions/:id/export`, schema version 2): the session, its
 * visible messages and its scratchlist as one JSON document, written piece by piece so a long
 * history never sits in memory as one string.
 */
import type { Message, Session } from '../../lib/gen/teamhub/session/v1/session.js';
import { messageContent, toHapiMessage, toHapiSession } from './session-view.js';

export const EXPORT_SCHEMA_VERSION = 2;
/** Above this many messages HAPI answers a warning unless `force=true`. */
export const EXPORT_MESSAGE_LIMIT = 20_000;
/** Above this estimated size HAPI refuses with 413. */
export const EXPORT_MAX_BYTES = 100 * 1024 * 1024;
/** Bytes of a message's JSON besides its content (id, seq, localId, timestamps, keys). */
const MESSAGE_OVERHEAD_BYTES = 160;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const VISIBLE_SYSTEM_SUBTYPES = new Set(['api_error', 'turn_duration', 'microcompact_boundary', 'compact_boundary', 'away_summary']);

/** The role-wrapped record of a message (`{role, content}`, directly or under message/data/payload). */
function roleRecord(content: unknown): Json | null {
  const isRecord = (v: unknown): v is Json => isObject(v) && typeof v.role === 'string';
  if (isRecord(content)) return content;
  if (!isObject(content)) return null;
  if (isRecord(content.message)) return content.message;
  if (isObject(content.data) && isRecord(content.data.message)) return content.data.message;
  if (isObject(content.payload) && isRecord(content.payload.message)) return content.payload.message;
  return null;
}

/**
 * HAPI leaves out of an export: user messages still queued, Claude's meta and compact-summary
 * output, and Claude records the chat never shows (rate limits, tool progress, most system ones).
 */
export function isExportVisible(m: Message, content: unknown): boolean {
  const record = roleRecord(content);
  if (record?.role === 'user' && m.invokedAt === undefined) return false;
  if (record?.role !== 'agent' || !isObject(record.content) || record.content.type !== 'output') return true;
  const data = isObject(record.content.data) ? record.content.data : null;
  if (!data) return true;
  if (data.isMeta || data.isCompactSummary) return false;
  if (data.type === 'rate_limit_event' || data.type === 'tool_progress') return false;
  return data.type !== 'system' || (typeof data.subtype === 'string' && VISIBLE_SYSTEM_SUBTYPES.has(data.subtype));
}

/** The estimated export size from the message count and content bytes (HAPI's limits are on it). */
export function estimateExportBytes(head: string, count: number, contentBytes: number): number {
  return Buffer.byteLength(head, 'utf8') + contentBytes + count * MESSAGE_OVERHEAD_BYTES + 32;
}

/** The document's text before the messages (`{"schemaVersion":2,…,"session":…,"messages":[`). */
export function exportHead(s: Session, exportedAt: number): string {
  const prefix = JSON.stringify({ schemaVersion: EXPORT_SCHEMA_VERSION, exportedAt, session: toHapiSession(s) });
  return `${prefix.slice(0, -1)},"messages":[`;
}

/** The text after the messages (the scratchlist, which this hub keeps empty). */
export const EXPORT_TAIL = '],"scratchlist":[]}';

/** One message as the export writes it, or null when HAPI leaves it out. */
export function exportMessageJson(m: Message): string | null {
  const content = messageContent(m);
  return isExportVisible(m, content) ? JSON.stringify(toHapiMessage(m, content)) : null;
}
