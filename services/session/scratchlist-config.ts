import type { EnvReader } from '../../lib/config.js';

/** HAPI's scratchlist attachment limits (the page reads them before it uploads). */
export interface ScratchlistLimits {
  maxBytesPerFile: number;
  maxAttachmentsPerEntry: number;
  maxBytesPerEntry: number;
  maxBytesPerSession: number;
  allowedMimeTypes: string[];
}

export const DEFAULT_SCRATCHLIST_MIME_TYPES = ['image/jpeg', 'image/png', 'image/gif', 'image/webp', 'image/svg+xml', 'application/pdf', 'text/plain'];

/**
 * The limits from HAPI's variables (`HAPI_SCRATCHLIST_*`), with HAPI's defaults: 10 MiB per file,
 * 4 attachments and 20 MiB per entry, 100 MiB per session, images, PDF and plain text. A file is
 * held in memory and in one database row or document, so a file is at most 15 MiB here.
 */
export function readScratchlistLimits(r: EnvReader): ScratchlistLimits {
  const mimes = r.str('HAPI_SCRATCHLIST_ALLOWED_ATTACHMENT_MIMES');
  const list = mimes?.split(',').map((s) => s.trim()).filter(Boolean);
  return {
    maxBytesPerFile: r.int('HAPI_SCRATCHLIST_MAX_ATTACHMENT_BYTES_PER_FILE', 10 * 1024 * 1024, { min: 1, max: 15 * 1024 * 1024 }),
    maxAttachmentsPerEntry: r.int('HAPI_SCRATCHLIST_MAX_ATTACHMENTS_PER_ENTRY', 4, { min: 1, max: 100 }),
    maxBytesPerEntry: r.int('HAPI_SCRATCHLIST_MAX_ATTACHMENT_BYTES_PER_ENTRY', 20 * 1024 * 1024, { min: 1 }),
    maxBytesPerSession: r.int('HAPI_SCRATCHLIST_MAX_ATTACHMENT_BYTES_PER_SESSION', 100 * 1024 * 1024, { min: 1 }),
    allowedMimeTypes: list && list.length > 0 ? list : [...DEFAULT_SCRATCHLIST_MIME_TYPES],
  };
}
