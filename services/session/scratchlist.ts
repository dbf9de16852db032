import { randomUUID } from 'node:crypto';
import { AppError } from '../../lib/errors.js';
import type { CallContext } from '../../lib/context.js';
import type { EventSink } from '../../lib/events/publisher.js';
import type { Namespace } from '../../lib/namespace.js';
import type { ScratchlistLimits } from './scratchlist-config.js';
import type { ScratchlistAttachmentRecord, ScratchlistEntryRecord, ScratchlistStore } from './scratchlist-store.js';
import type { SessionStore } from './store.js';

/** HAPI's SCRATCHLIST_MAX_ENTRIES. */
export const SCRATCHLIST_MAX_ENTRIES = 200;
const PATH_PREFIX = 'hapi-hub:scratchlist/';
const ATTACHMENT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

const invalid = (message: string, code: string) => new AppError('invalid_argument', message, { details: { hapiCode: code } });

/** HAPI's file name rule for stored attachments: no path parts, no control characters, no spaces, at most 255. */
export function sanitizeFilename(filename: string): string {
  const s = filename
    .replace(/[/\\]/g, '_')
    .replace(/\.\./g, '_')
    .replace(/[\r\n\0"\\]/g, '_')
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f]/g, '_')
    .replace(/\s+/g, '_')
    .slice(0, 255);
  return s || 'upload';
}

const sanitizeSegment = (segment: string) => segment.replace(/[/\\]/g, '_').replace(/\.\./g, '_').slice(0, 128);
const sessionPrefix = (ns: string, sessionId: string) => `${sanitizeSegment(ns)}/${sanitizeSegment(sessionId)}/`;

/** HAPI's hub path of an attachment (what the page sends back when an entry references it). */
export const attachmentPath = (ns: string, sessionId: string, id: string, filename: string) => `${PATH_PREFIX}${sessionPrefix(ns, sessionId)}${id}-${filename}`;

function estimateBase64Bytes(base64: string): number {
  if (base64.length === 0) return 0;
  const padding = base64.endsWith('==') ? 2 : base64.endsWith('=') ? 1 : 0;
  return Math.floor((base64.length * 3) / 4) - padding;
}

const isAllowedMime = (mime: string, limits: ScratchlistLimits) => limits.allowedMimeTypes.some((m) => m.toLowerCase() === mime.trim().toLowerCase());

/** HAPI's validateScratchlistAttachmentsForWrite: the error of the first limit the attachments break, or null. */
export function attachmentLimitError(attachments: Array<Pick<ScratchlistAttachmentRecord, 'size' | 'mimeType'>>, limits: ScratchlistLimits, sessionBytesBefore: number): AppError | null {
  if (attachments.length > limits.maxAttachmentsPerEntry) return invalid(`At most ${limits.maxAttachmentsPerEntry} attachments per scratchlist entry`, 'scratchlist_attachments_per_entry');
  let entryBytes = 0;
  for (const att of attachments) {
    if (att.size > limits.maxBytesPerFile) return new AppError('payload_too_large', `Attachment exceeds per-file limit (${limits.maxBytesPerFile} bytes)`, { details: { hapiCode: 'scratchlist_attachment_too_large' } });
    if (!limits.allowedMimeTypes.some((m) => m.toLowerCase() === att.mimeType.toLowerCase())) return invalid(`Mime type not allowed: ${att.mimeType}`, 'scratchlist_attachment_mime');
    entryBytes += att.size;
  }
  if (entryBytes > limits.maxBytesPerEntry) return invalid(`Attachments exceed per-entry byte limit (${limits.maxBytesPerEntry} bytes)`, 'scratchlist_attachments_entry_bytes');
  if (sessionBytesBefore + entryBytes > limits.maxBytesPerSession) return invalid(`Scratchlist attachments would exceed per-session byte limit (${limits.maxBytesPerSession} bytes)`, 'scratchlist_attachments_session_bytes');
  return null;
}

export interface CreateEntryInput {
  sessionId: string;
  entryId?: string;
  text: string;
  createdAt?: number;
  attachments: ScratchlistAttachmentRecord[];
}

/**
 * The scratchlist as HAPI keeps it: entries of a session and the attachment files they
 * reference, stored in the session service per namespace and session. Every method checks that
 * the session is the caller's (403 `Session access denied` / 404 `Session not found` otherwise)
 * before it reads or writes anything, and the store filters on the namespace again.
 */
export class ScratchlistDomain {
  /** Writes of one session's scratchlist run one after another, so two cannot both pass a limit (the entry cap, the session's bytes). */
  private readonly tails = new Map<string, Promise<unknown>>();

  constructor(
    private readonly store: ScratchlistStore,
    private readonly sessions: Pick<SessionStore, 'getSession' | 'ownerOf'>,
    private readonly sink: EventSink,
    readonly limits: ScratchlistLimits,
    private readonly now: () => number = Date.now,
  ) {}

  async requireSession(ctx: CallContext, sessionId: string): Promise<void> {
    if (typeof sessionId !== 'string' || sessionId.length === 0) throw new AppError('not_found', 'Session not found');
    if (await this.sessions.getSession(ctx.namespace, sessionId)) return;
    const owner = await this.sessions.ownerOf(sessionId);
    throw owner === null ? new AppError('not_found', 'Session not found') : new AppError('permission_denied', 'Session access denied');
  }

  async list(ctx: CallContext, sessionId: string): Promise<ScratchlistEntryRecord[]> {
    await this.requireSession(ctx, sessionId);
    return this.store.listEntries(ctx.namespace, sessionId);
  }

  async create(ctx: CallContext, input: CreateEntryInput): Promise<{ entry: ScratchlistEntryRecord; created: boolean }> {
    await this.requireSession(ctx, input.sessionId);
    return this.serial(ctx.namespace, input.sessionId, () => this.createNow(ctx, input));
  }

  private async createNow(ctx: CallContext, input: CreateEntryInput): Promise<{ entry: ScratchlistEntryRecord; created: boolean }> {
    const ns = ctx.namespace;
    if (input.entryId) {
      const existing = await this.store.getEntry(ns, input.sessionId, input.entryId);
      if (existing) return { entry: existing, created: false };
    }
    if ((await this.store.countEntries(ns, input.sessionId)) >= SCRATCHLIST_MAX_ENTRIES) {
      throw new AppError('conflict', `Scratchlist is at its ${SCRATCHLIST_MAX_ENTRIES}-entry cap`, { details: { hapiCode: 'scratchlist_at_cap' } });
    }
    const attachments = await this.resolveAttachments(ns, input.sessionId, input.attachments);
    const entryBytes = attachments.reduce((n, a) => n + a.size, 0);
    const before = Math.max(0, (await this.store.sessionBytes(ns, input.sessionId)) - entryBytes);
    const limitError = attachmentLimitError(attachments, this.limits, before);
    if (limitError) throw limitError;
    const at = this.now();
    const entry: ScratchlistEntryRecord = { namespace: ns, sessionId: input.sessionId, entryId: input.entryId ?? randomUUID(), text: input.text.trim(), createdAt: input.createdAt ?? at, updatedAt: at, attachments };
    if (!(await this.store.insertEntry(entry))) {
      // Another request created that id meanwhile: answer it as the existing entry.
      const existing = await this.store.getEntry(ns, input.sessionId, entry.entryId);
      if (existing) return { entry: existing, created: false };
      throw new AppError('conflict', 'scratchlist entry kept conflicting; retry');
    }
    ctx.log.info({ sessionId: input.sessionId, entryId: entry.entryId }, 'scratchlist entry created');
    await this.changed(ctx, input.sessionId, entry.updatedAt);
    return { entry, created: true };
  }

  async update(ctx: CallContext, sessionId: string, entryId: string, patch: { text?: string; attachments?: ScratchlistAttachmentRecord[] }): Promise<ScratchlistEntryRecord> {
    const ns = ctx.namespace;
    await this.requireSession(ctx, sessionId);
    const existing = await this.store.getEntry(ns, sessionId, entryId);
    if (!existing) throw new AppError('not_found', 'Scratchlist entry not found');
    const text = patch.text !== undefined ? patch.text.trim() : existing.text;
    const attachments = patch.attachments !== undefined ? await this.resolveAttachments(ns, sessionId, patch.attachments) : existing.attachments;
    if (text.trim().length === 0 && attachments.length === 0) throw invalid('Scratchlist entry requires text or attachments', 'scratchlist_entry_empty');
    const removed = existing.attachments.filter((old) => !attachments.some((a) => a.id === old.id));
    const disk = await this.store.sessionBytes(ns, sessionId);
    const afterRemoval = Math.max(0, disk - removed.reduce((n, a) => n + a.size, 0));
    const before = Math.max(0, afterRemoval - attachments.reduce((n, a) => n + a.size, 0));
    const limitError = attachmentLimitError(attachments, this.limits, before);
    if (limitError) throw limitError;
    const updated = await this.store.updateEntry(ns, sessionId, entryId, { text, attachments, updatedAt: this.now() });
    if (!updated) throw new AppError('not_found', 'Scratchlist entry not found');
    await this.dropOrphans(ns, sessionId, removed);
    await this.changed(ctx, sessionId, updated.updatedAt);
    return updated;
  }

  async deleteEntry(ctx: CallContext, sessionId: string, entryId: string): Promise<void> {
    const ns = ctx.namespace;
    await this.requireSession(ctx, sessionId);
    const existing = await this.store.getEntry(ns, sessionId, entryId);
    if (!existing || !(await this.store.deleteEntry(ns, sessionId, entryId))) throw new AppError('not_found', 'Scratchlist entry not found');
    await this.dropOrphans(ns, sessionId, existing.attachments);
    await this.changed(ctx, sessionId, this.now());
  }

  /** HAPI's upload: the estimated size and the mime type first, then (one upload at a time per session) the limits, then the file is stored. */
  async upload(ctx: CallContext, sessionId: string, filename: string, mimeType: string, contentBase64: string): Promise<ScratchlistAttachmentRecord> {
    const ns = ctx.namespace;
    await this.requireSession(ctx, sessionId);
    if (estimateBase64Bytes(contentBase64) > this.limits.maxBytesPerFile) throw new AppError('payload_too_large', 'File too large', { details: { hapiCode: 'scratchlist_attachment_too_large' } });
    if (!isAllowedMime(mimeType, this.limits)) throw invalid('Mime type not allowed', 'scratchlist_attachment_mime');
    const content = Buffer.from(contentBase64, 'base64');
    return this.serial(ns, sessionId, async () => {
      const limitError = attachmentLimitError([{ size: content.length, mimeType }], this.limits, await this.store.sessionBytes(ns, sessionId));
      if (limitError) throw limitError;
      const id = randomUUID();
      const name = sanitizeFilename(filename);
      await this.store.putAttachment({ namespace: ns, sessionId, id, filename: name, mimeType, size: content.length, content, createdAt: this.now() });
      ctx.log.info({ sessionId, attachmentId: id, bytes: content.length }, 'scratchlist attachment stored');
      return { id, filename: name, mimeType, size: content.length, path: attachmentPath(ns, sessionId, id, name) };
    });
  }

  /** Runs `job` after every earlier write of this session's scratchlist (in this process). */
  private async serial<T>(ns: Namespace, sessionId: string, job: () => Promise<T>): Promise<T> {
    const k = JSON.stringify([ns, sessionId]);
    const run = (this.tails.get(k) ?? Promise.resolve()).catch(() => undefined).then(job);
    this.tails.set(k, run);
    try {
      return await run;
    } finally {
      if (this.tails.get(k) === run) this.tails.delete(k);
    }
  }

  /** An attachment's bytes, only when an entry references it (as that entry lists it). */
  async read(ctx: CallContext, sessionId: string, attachmentId: string): Promise<{ attachment: ScratchlistAttachmentRecord; content: Buffer }> {
    const ns = ctx.namespace;
    await this.requireSession(ctx, sessionId);
    const match = (await this.store.listEntries(ns, sessionId)).flatMap((e) => e.attachments).find((a) => a.id === attachmentId);
    if (!match) throw new AppError('not_found', 'Attachment not found');
    const content = await this.store.readAttachment(ns, sessionId, attachmentId);
    if (!content) throw new AppError('not_found', 'Attachment file missing');
    return { attachment: match, content };
  }

  /** Deletes an uploaded file no entry references (an upload the user abandoned). */
  async deleteAttachment(ctx: CallContext, sessionId: string, attachmentId: string): Promise<void> {
    const ns = ctx.namespace;
    await this.requireSession(ctx, sessionId);
    const entries = await this.store.listEntries(ns, sessionId);
    if (entries.some((e) => e.attachments.some((a) => a.id === attachmentId))) {
      throw new AppError('conflict', 'Attachment is still referenced by a scratchlist entry', { details: { hapiCode: 'scratchlist_attachment_in_use' } });
    }
    if (!ATTACHMENT_ID.test(attachmentId) || (await this.store.deleteAttachments(ns, sessionId, [attachmentId])) === 0) throw new AppError('not_found', 'Attachment not found');
  }

  /** HAPI's check of attachments a page claims: each must be a file uploaded to this session; its size and name are the stored ones. */
  private async resolveAttachments(ns: Namespace, sessionId: string, claimed: ScratchlistAttachmentRecord[]): Promise<ScratchlistAttachmentRecord[]> {
    const out: ScratchlistAttachmentRecord[] = [];
    const fail = (message: string) => invalid(message, 'scratchlist_attachment_invalid');
    for (const c of claimed) {
      if (!ATTACHMENT_ID.test(c.id)) throw fail('Invalid scratchlist attachment id');
      if (!c.path.startsWith(PATH_PREFIX) || c.path.slice(PATH_PREFIX.length).trim().length === 0) throw fail('Invalid scratchlist attachment path');
      const key = c.path.slice(PATH_PREFIX.length).trim();
      const prefix = sessionPrefix(ns, sessionId);
      if (!key.startsWith(prefix)) throw fail('Attachment path is outside this session');
      if (!key.slice(prefix.length).startsWith(`${c.id}-`)) throw fail('Attachment id does not match stored file');
      const stored = await this.store.getAttachmentInfo(ns, sessionId, c.id);
      if (!stored) throw fail('Attachment file missing');
      out.push({ id: c.id, filename: stored.filename, mimeType: c.mimeType, size: stored.size, path: attachmentPath(ns, sessionId, c.id, stored.filename) });
    }
    return out;
  }

  /** Deletes the files of `removed` that no entry of the session references any more. */
  private async dropOrphans(ns: Namespace, sessionId: string, removed: ScratchlistAttachmentRecord[]): Promise<void> {
    if (removed.length === 0) return;
    const still = new Set((await this.store.listEntries(ns, sessionId)).flatMap((e) => e.attachments.map((a) => a.id)));
    await this.store.deleteAttachments(ns, sessionId, removed.filter((a) => !still.has(a.id)).map((a) => a.id));
  }

  private async changed(ctx: CallContext, sessionId: string, updatedAt: number): Promise<void> {
    try {
      await this.sink.publish(ctx.namespace, { $case: 'scratchlistChanged', scratchlistChanged: { sessionId, updatedAt } }, { requestId: ctx.requestId });
    } catch (err) {
      ctx.log.warn({ err, change: 'scratchlistChanged' }, 'event publish failed after a durable write');
    }
  }
}
