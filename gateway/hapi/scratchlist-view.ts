/** HAPI's scratchlist JSON (ScratchlistEntrySchema, the limits answer) built from the proto. */
import type { ScratchlistEntry, ScratchlistLimits } from '../../lib/gen/teamhub/session/v1/scratchlist.js';

export function toHapiScratchlistEntry(e: ScratchlistEntry) {
  return {
    entryId: e.entryId,
    text: e.text,
    createdAt: e.createdAt,
    updatedAt: e.updatedAt,
    attachments: e.attachments.map((a) => ({ id: a.id, filename: a.filename, mimeType: a.mimeType, size: a.size, path: a.path })),
  };
}

export function toHapiScratchlistLimits(l: ScratchlistLimits) {
  return {
    maxBytesPerFile: l.maxBytesPerFile,
    maxAttachmentsPerEntry: l.maxAttachmentsPerEntry,
    maxBytesPerEntry: l.maxBytesPerEntry,
    maxBytesPerSession: l.maxBytesPerSession,
    allowedMimeTypes: l.allowedMimeTypes,
  };
}
