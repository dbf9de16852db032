import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AppError, isAppError } from '../../lib/errors.js';
import type { CallContext } from '../../lib/context.js';
import { toHapiScratchlistEntry, toHapiScratchlistLimits } from '../hapi/scratchlist-view.js';
import { largeBodyRoute } from '../http/large-body-route.js';
import { requireWebCall } from '../http/web-auth.js';
import { requireSessionAccess } from './api-sessions-guard.js';
import type { GatewayDeps } from '../deps.js';

/** HAPI's SCRATCHLIST_MAX_TEXT_LENGTH and SCRATCHLIST_MAX_ENTRY_ID_LENGTH. */
const MAX_TEXT = 10_000;
const MAX_ENTRY_ID = 128;
/** The body of an attachment upload: base64 of the largest file the service accepts (15 MiB), and the JSON around it. */
const UPLOAD_BODY_LIMIT = Math.ceil((15 * 1024 * 1024) / 3) * 4 + 1024 * 1024;

const Attachment = z.object({ id: z.string(), filename: z.string(), mimeType: z.string(), size: z.number(), path: z.string() });
/** HAPI's ScratchlistEntryCreateRequestSchema. */
const CreateBody = z
  .object({
    entryId: z.string().min(1).max(MAX_ENTRY_ID).optional(),
    text: z.string().max(MAX_TEXT).default(''),
    attachments: z.array(Attachment).optional().default([]),
    createdAt: z.number().int().nonnegative().optional(),
  })
  .refine((d) => d.text.trim().length > 0 || d.attachments.length > 0, { message: 'Scratchlist entry requires text or attachments', path: ['text'] });
/** HAPI's ScratchlistEntryUpdateRequestSchema. */
const UpdateBody = z
  .object({ text: z.string().max(MAX_TEXT).optional(), attachments: z.array(Attachment).optional() })
  .refine((d) => d.text !== undefined || d.attachments !== undefined, { message: 'Update requires text and/or attachments', path: ['text'] })
  .refine((d) => (d.text !== undefined && d.attachments === undefined ? d.text.trim().length > 0 : d.text === undefined || d.attachments === undefined || d.text.trim().length > 0 || d.attachments.length > 0), {
    message: 'Scratchlist entry requires non-empty text or attachments',
    path: ['text'],
  });
const UploadBody = z.object({ filename: z.string().min(1).max(255), content: z.string().min(1), mimeType: z.string().min(1).max(255) });

type Req = FastifyRequest<{ Params: { id: string; entryId?: string; attachmentId?: string } }>;

/** A header-safe `filename="…"` (HAPI replaces quotes, backslashes and line breaks). */
const dispositionName = (name: string) => name.replace(/[\r\n\0"\\]/g, '_');

/**
 * `/api/sessions/:id/scratchlist*`: the notes beside a session and their attachments, which the
 * hub stores itself (in the session service, per namespace and session; the CLI is not
 * involved, so this works on inactive sessions too). Another namespace's session answers 403
 * `Session access denied` before anything is read or written.
 */
export function registerApiScratchlistRoutes(app: FastifyInstance, deps: GatewayDeps): void {
  const sl = deps.clients.scratchlist;
  /** A bad body is answered after the session check, so another namespace's id still gets 403. */
  const badBody = async (reply: FastifyReply, ctx: CallContext, sessionId: string, body: Record<string, unknown>) => {
    await requireSessionAccess(deps, ctx, sessionId);
    return reply.code(400).send(body);
  };

  app.get('/api/sessions/:id/scratchlist/limits', async (request: Req) => {
    const { ctx } = await requireWebCall(request, deps);
    const res = await sl.call('getScratchlistLimits', { sessionId: request.params.id }, ctx);
    if (!res.limits) throw new AppError('internal', 'scratchlist service answered without limits');
    return { limits: toHapiScratchlistLimits(res.limits) };
  });

  app.post('/api/sessions/:id/scratchlist/upload', largeBodyRoute(UPLOAD_BODY_LIMIT, deps.cfg.maxBodyBytes), async (request: Req, reply) => {
    const { ctx } = await requireWebCall(request, deps);
    const body = UploadBody.safeParse(request.body);
    if (!body.success) return badBody(reply, ctx, request.params.id, { error: 'Invalid body' });
    try {
      const res = await sl.call('uploadScratchlistAttachment', { sessionId: request.params.id, filename: body.data.filename, mimeType: body.data.mimeType, contentBase64: body.data.content }, ctx);
      return { success: true, attachment: res.attachment };
    } catch (err) {
      // HAPI answers the upload's own refusals with `success: false` (413 for size, else 400).
      const code = isAppError(err) ? err.details.hapiCode : undefined;
      if (!isAppError(err) || typeof code !== 'string' || !code.startsWith('scratchlist_')) throw err;
      return reply.code(code === 'scratchlist_attachment_too_large' ? 413 : 400).send({ success: false, error: err.message, code });
    }
  });

  app.get('/api/sessions/:id/scratchlist/attachments/:attachmentId', async (request: Req, reply) => {
    const { ctx } = await requireWebCall(request, deps);
    const res = await sl.call('readScratchlistAttachment', { sessionId: request.params.id, attachmentId: request.params.attachmentId ?? '' }, ctx);
    const att = res.attachment;
    if (!att) throw new AppError('not_found', 'Attachment not found');
    return reply
      .header('content-type', att.mimeType)
      .header('content-disposition', `inline; filename="${dispositionName(att.filename)}"`)
      // The page shows attachments inline; never let a browser guess another type from the bytes.
      .header('x-content-type-options', 'nosniff')
      .send(Buffer.from(res.content));
  });

  app.get('/api/sessions/:id/scratchlist', async (request: Req) => {
    const { ctx } = await requireWebCall(request, deps);
    const res = await sl.call('listScratchlist', { sessionId: request.params.id }, ctx);
    return { entries: res.entries.map(toHapiScratchlistEntry) };
  });

  app.post('/api/sessions/:id/scratchlist', async (request: Req, reply) => {
    const { ctx } = await requireWebCall(request, deps);
    const body = CreateBody.safeParse(request.body ?? null);
    if (!body.success) return badBody(reply, ctx, request.params.id, { error: 'Invalid body', issues: body.error.issues });
    const res = await sl.call('createScratchlistEntry', { sessionId: request.params.id, entryId: body.data.entryId, text: body.data.text, createdAt: body.data.createdAt, attachments: body.data.attachments }, ctx);
    if (!res.entry) throw new AppError('internal', 'scratchlist service answered without an entry');
    return reply.code(res.created ? 201 : 200).send({ entry: toHapiScratchlistEntry(res.entry) });
  });

  app.put('/api/sessions/:id/scratchlist/:entryId', async (request: Req, reply) => {
    const { ctx } = await requireWebCall(request, deps);
    const body = UpdateBody.safeParse(request.body ?? null);
    if (!body.success) return badBody(reply, ctx, request.params.id, { error: 'Invalid body', issues: body.error.issues });
    const res = await sl.call(
      'updateScratchlistEntry',
      { sessionId: request.params.id, entryId: request.params.entryId ?? '', text: body.data.text, hasAttachments: body.data.attachments !== undefined, attachments: body.data.attachments ?? [] },
      ctx,
    );
    if (!res.entry) throw new AppError('internal', 'scratchlist service answered without an entry');
    return { entry: toHapiScratchlistEntry(res.entry) };
  });

  app.delete('/api/sessions/:id/scratchlist/attachments/:attachmentId', async (request: Req) => {
    const { ctx } = await requireWebCall(request, deps);
    await sl.call('deleteScratchlistAttachment', { sessionId: request.params.id, attachmentId: request.params.attachmentId ?? '' }, ctx);
    return { ok: true };
  });

  app.delete('/api/sessions/:id/scratchlist/:entryId', async (request: Req) => {
    const { ctx } = await requireWebCall(request, deps);
    await sl.call('deleteScratchlistEntry', { sessionId: request.params.id, entryId: request.params.entryId ?? '' }, ctx);
    return { ok: true };
  });
}
