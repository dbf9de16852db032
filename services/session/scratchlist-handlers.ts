import { namespaced, type ServiceHandlers } from '../../lib/grpc/server.js';
import type { ScratchlistAttachment, ScratchlistEntry, ScratchlistServiceService } from '../../lib/gen/teamhub/session/v1/scratchlist.js';
import type { ScratchlistDomain } from './scratchlist.js';
import type { ScratchlistAttachmentRecord, ScratchlistEntryRecord } from './scratchlist-store.js';

const toProtoEntry = (e: ScratchlistEntryRecord): ScratchlistEntry => ({ entryId: e.entryId, text: e.text, createdAt: e.createdAt, updatedAt: e.updatedAt, attachments: e.attachments });
const fromProtoAttachment = (a: ScratchlistAttachment): ScratchlistAttachmentRecord => ({ id: a.id, filename: a.filename, mimeType: a.mimeType, size: a.size, path: a.path });

/** gRPC handlers of the scratchlist: proto in, domain call with the call's context, proto out. */
export function scratchlistHandlers(domain: ScratchlistDomain): ServiceHandlers<typeof ScratchlistServiceService> {
  return {
    getScratchlistLimits: namespaced(async (req, ctx) => {
      await domain.requireSession(ctx, req.sessionId);
      return { limits: domain.limits };
    }),
    listScratchlist: namespaced(async (req, ctx) => ({ entries: (await domain.list(ctx, req.sessionId)).map(toProtoEntry) })),
    createScratchlistEntry: namespaced(async (req, ctx) => {
      const { entry, created } = await domain.create(ctx, { sessionId: req.sessionId, entryId: req.entryId, text: req.text, createdAt: req.createdAt, attachments: req.attachments.map(fromProtoAttachment) });
      return { entry: toProtoEntry(entry), created };
    }),
    updateScratchlistEntry: namespaced(async (req, ctx) => ({
      entry: toProtoEntry(await domain.update(ctx, req.sessionId, req.entryId, { text: req.text, attachments: req.hasAttachments ? req.attachments.map(fromProtoAttachment) : undefined })),
    })),
    deleteScratchlistEntry: namespaced(async (req, ctx) => {
      await domain.deleteEntry(ctx, req.sessionId, req.entryId);
      return {};
    }),
    uploadScratchlistAttachment: namespaced(async (req, ctx) => ({ attachment: await domain.upload(ctx, req.sessionId, req.filename, req.mimeType, req.contentBase64) })),
    readScratchlistAttachment: namespaced(async (req, ctx) => domain.read(ctx, req.sessionId, req.attachmentId)),
    deleteScratchlistAttachment: namespaced(async (req, ctx) => {
      await domain.deleteAttachment(ctx, req.sessionId, req.attachmentId);
      return {};
    }),
  };
}
