/**
 * HAPI 0.30.7's request schemas of the message routes (shared/src/schemas.ts there), so a bad
 * request gets the same 400 and the same `issues` as from HAPI.
 */
import { z } from 'zod';

/** HAPI's limit on how far ahead a message may be scheduled. */
export const MAX_SCHEDULE_AHEAD_MS = 7 * 24 * 60 * 60 * 1000;
/** Local ids one request may name (HAPI's queued-state limit). */
export const MAX_QUEUED_STATE_IDS = 1000;

const cursorInt = (min: number) => z.coerce.number().int().min(min).optional();

/**
 * `GET /api/sessions/:id/messages`: `limit` (1..200), and one cursor made of a (seq, at) pair:
 * `before…`, or `after…` with an optional `until…` and `epoch`.
 */
export const MessagesQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(200).optional(),
    beforeSeq: cursorInt(1),
    beforeAt: cursorInt(0),
    afterSeq: cursorInt(1),
    afterAt: cursorInt(0),
    untilSeq: cursorInt(1),
    untilAt: cursorInt(0),
    epoch: cursorInt(0),
  })
  .refine((d) => (d.beforeAt === undefined) === (d.beforeSeq === undefined), { message: 'beforeAt and beforeSeq must be provided together', path: ['beforeAt'] })
  .refine((d) => (d.afterAt === undefined) === (d.afterSeq === undefined), { message: 'afterAt and afterSeq must be provided together', path: ['afterAt'] })
  .refine((d) => (d.untilAt === undefined) === (d.untilSeq === undefined), { message: 'untilAt and untilSeq must be provided together', path: ['untilAt'] })
  .refine((d) => d.beforeAt === undefined || d.afterAt === undefined, { message: 'before and after cursors are mutually exclusive', path: ['afterAt'] })
  .refine((d) => d.untilAt === undefined || d.afterAt !== undefined, { message: 'until cursor requires an after cursor', path: ['untilAt'] })
  .refine((d) => d.epoch === undefined || d.afterAt !== undefined, { message: 'epoch requires an after cursor', path: ['epoch'] });
export type MessagesQuery = z.infer<typeof MessagesQuery>;

/** HAPI's AttachmentMetadataSchema (an upload the CLI already holds). */
export const AttachmentMetadata = z.object({
  id: z.string(),
  filename: z.string(),
  mimeType: z.string(),
  size: z.number(),
  path: z.string(),
  previewUrl: z.string().optional(),
});

/** `POST /api/sessions/:id/messages` (HAPI's SendMessageRequestSchema; the 7-day check is against now). */
export const SendMessageBody = z
  .object({
    text: z.string(),
    localId: z.string().min(1).max(256).optional(),
    attachments: z.array(AttachmentMetadata).optional(),
    scheduledAt: z.number().int().positive().nullable().optional(),
    deliveryMode: z.enum(['queue', 'steer']).optional(),
  })
  .refine((d) => d.scheduledAt == null || typeof d.localId === 'string', { message: 'scheduledAt requires localId', path: ['localId'] })
  .refine((d) => d.scheduledAt == null || d.scheduledAt <= Date.now() + MAX_SCHEDULE_AHEAD_MS, { message: 'scheduledAt must be within 7 days from now', path: ['scheduledAt'] })
  .refine((d) => d.scheduledAt == null || !d.attachments?.length, { message: 'scheduled messages with attachments are not supported', path: ['attachments'] })
  .refine((d) => d.scheduledAt == null || d.deliveryMode !== 'steer', { message: 'scheduled messages cannot use steer delivery', path: ['deliveryMode'] });
export type SendMessageBody = z.infer<typeof SendMessageBody>;

/** `POST /api/sessions/:id/messages/queued-state`. */
export const QueuedStateBody = z.object({ localIds: z.array(z.string().min(1)).max(MAX_QUEUED_STATE_IDS) });
