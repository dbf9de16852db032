import { expect } from 'chai';
import { z } from 'zod';
import { ScratchlistAttachment, ScratchlistEntry } from '../hapi-shapes.js';
import type { World } from '../world.js';
import { denied, notFound } from './sessions.js';
import type { RouteSpec } from './types.js';

/*
 * The per-session scratchlist (notes beside the chat) with attachments the hub itself stores
 * under HAPI_HOME per namespace and session (hub/src/scratchlistAttachments/*). Limits from the
 * environment (HAPI_SCRATCHLIST_*): 10 MiB per file, 4 attachments and 20 MiB per entry, 100 MiB
 * per session, 200 entries, text 10 000 chars; mime types jpeg, png, gif, webp, svg, pdf, plain text.
 * Works on inactive sessions too (no CLI involved).
 */

const NOTE = Buffer.from('remember the migration\n');
const upload = (filename = 'note.txt') => ({ filename, content: NOTE.toString('base64'), mimeType: 'text/plain' });
const listKey = 'scratch';

/** An attachment uploaded to the scratchlist session (the same one for every caller). */
function attachment(w: World, key = 'referenced'): Promise<z.infer<typeof ScratchlistAttachment>> {
  return w.once(`scratch-attachment:${key}`, async () => {
    const s = await w.session(listKey);
    const r = await w.request('web', 'POST', `/api/sessions/${s.id}/scratchlist/upload`, { body: upload(`${key}.txt`) });
    if (r.status !== 200) throw new Error(`scratchlist upload ${r.status} ${r.text}`);
    return r.json.attachment;
  });
}

/** An entry that references `attachment(w)`. */
function entry(w: World): Promise<z.infer<typeof ScratchlistEntry>> {
  return w.once('scratch-entry', async () => {
    const s = await w.session(listKey);
    const r = await w.request('web', 'POST', `/api/sessions/${s.id}/scratchlist`, { body: { text: 'check the migration', attachments: [await attachment(w)] } });
    if (r.status !== 201) throw new Error(`scratchlist create ${r.status} ${r.text}`);
    return r.json.entry;
  });
}

const sid = async (w: World) => (await w.session(listKey)).id;

export const SCRATCHLIST_ROUTES: RouteSpec[] = [
  {
    method: 'GET',
    path: '/api/sessions/:id/scratchlist/limits',
    module: 'sessions',
    plane: 'web',
    summary: 'The attachment limits the web checks before uploading',
    call: async (w) => ({ params: { id: await sid(w) } }),
    ok: {
      status: 200,
      schema: z.object({
        limits: z.object({
          maxBytesPerFile: z.literal(10 * 1024 * 1024),
          maxAttachmentsPerEntry: z.literal(4),
          maxBytesPerEntry: z.literal(20 * 1024 * 1024),
          maxBytesPerSession: z.literal(100 * 1024 * 1024),
          allowedMimeTypes: z.tuple([z.literal('image/jpeg'), z.literal('image/png'), z.literal('image/gif'), z.literal('image/webp'), z.literal('image/svg+xml'), z.literal('application/pdf'), z.literal('text/plain')]),
        }),
      }),
    },
    errors: [notFound()],
    foreign: denied,
  },
  {
    method: 'POST',
    path: '/api/sessions/:id/scratchlist/upload',
    module: 'sessions',
    plane: 'web',
    summary: 'Store an attachment for a scratchlist entry (base64 JSON); answers its metadata with a `hapi-hub:scratchlist/…` path',
    call: async (w) => ({ params: { id: await sid(w) }, body: upload() }),
    ok: {
      status: 200,
      schema: z.object({ success: z.literal(true), attachment: ScratchlistAttachment }),
      check: (body) => {
        expect(body.attachment).to.include({ filename: 'note.txt', mimeType: 'text/plain', size: NOTE.length });
        expect(body.attachment.path.startsWith('hapi-hub:scratchlist/')).to.equal(true);
      },
    },
    errors: [
      { status: 400, body: { error: 'Invalid body' }, when: 'filename, content or mimeType missing', call: async (w) => ({ params: { id: await sid(w) }, body: { filename: 'a' } }) },
      { status: 400, body: { success: false, error: 'Mime type not allowed', code: 'scratchlist_attachment_mime' }, when: 'a mime type outside the list', call: async (w) => ({ params: { id: await sid(w) }, body: { ...upload(), mimeType: 'application/x-sh' } }) },
      { status: 413, body: { success: false, error: 'File too large', code: 'scratchlist_attachment_too_large' }, when: 'estimated size over the per-file limit' },
    ],
    foreign: denied,
  },
  {
    method: 'GET',
    path: '/api/sessions/:id/scratchlist/attachments/:attachmentId',
    module: 'sessions',
    plane: 'web',
    summary: 'An attachment\'s bytes (only attachments an entry references), inline with its mime type',
    call: async (w) => {
      await entry(w);
      return { params: { id: await sid(w), attachmentId: (await attachment(w)).id } };
    },
    ok: {
      status: 200,
      binary: true,
      schema: z.object({ contentType: z.literal('text/plain'), bytes: z.literal(NOTE.length) }),
      check: (_b, _w, _c, res) => {
        expect(res.text).to.equal(NOTE.toString());
        expect(res.headers.get('content-disposition')).to.equal('inline; filename="referenced.txt"');
      },
    },
    errors: [{ status: 404, body: { error: 'Attachment not found' }, when: 'no entry references that id', call: async (w) => ({ params: { id: await sid(w), attachmentId: 'nope' } }) }],
    foreign: denied,
  },
  {
    method: 'GET',
    path: '/api/sessions/:id/scratchlist',
    module: 'sessions',
    plane: 'web',
    summary: 'The session\'s scratchlist entries',
    call: async (w) => {
      await entry(w);
      return { params: { id: await sid(w) } };
    },
    ok: {
      status: 200,
      schema: z.object({ entries: z.array(ScratchlistEntry) }),
      check: async (body, w) => expect(body.entries.map((e: { entryId: string }) => e.entryId)).to.include((await entry(w)).entryId),
    },
    errors: [notFound()],
    foreign: denied,
  },
  {
    method: 'POST',
    path: '/api/sessions/:id/scratchlist',
    module: 'sessions',
    plane: 'web',
    summary: 'Add an entry (text and/or uploaded attachments; `entryId` makes it idempotent: an existing id answers 200 with that entry)',
    call: async (w) => ({ params: { id: await sid(w) }, body: { text: 'a second note' } }),
    ok: { status: 201, schema: z.object({ entry: ScratchlistEntry }), check: (body) => expect(body.entry).to.include({ text: 'a second note' }) },
    errors: [
      { status: 400, body: z.object({ error: z.literal('Invalid body'), issues: z.array(z.unknown()) }), when: 'no text and no attachments', call: async (w) => ({ params: { id: await sid(w) }, body: { text: '  ' } }) },
      {
        status: 400,
        body: z.object({ error: z.string(), code: z.literal('scratchlist_attachment_invalid') }),
        when: 'an attachment that was not uploaded to this session',
        call: async (w) => ({ params: { id: await sid(w) }, body: { text: 'x', attachments: [{ id: 'forged', filename: 'f.txt', mimeType: 'text/plain', size: 1, path: 'hapi-hub:scratchlist/forged' }] } }),
      },
      { status: 409, body: { error: 'Scratchlist is at its 200-entry cap', code: 'scratchlist_at_cap' }, when: '200 entries already' },
    ],
    foreign: denied,
  },
  {
    method: 'PUT',
    path: '/api/sessions/:id/scratchlist/:entryId',
    module: 'sessions',
    plane: 'web',
    summary: 'Edit an entry\'s text and/or attachments (removed attachments are deleted when no entry uses them)',
    call: async (w) => ({ params: { id: await sid(w), entryId: (await entry(w)).entryId }, body: { text: 'check the migration twice' } }),
    ok: { status: 200, schema: z.object({ entry: ScratchlistEntry }), check: (body) => expect(body.entry.text).to.equal('check the migration twice') },
    errors: [
      { status: 404, body: { error: 'Scratchlist entry not found' }, when: 'unknown entry id', call: async (w) => ({ params: { id: await sid(w), entryId: 'nope' }, body: { text: 'x' } }) },
      { status: 400, body: z.object({ error: z.literal('Invalid body'), issues: z.array(z.unknown()) }), when: 'neither text nor attachments', call: async (w) => ({ params: { id: await sid(w), entryId: (await entry(w)).entryId }, body: {} }) },
    ],
    foreign: denied,
  },
  {
    method: 'DELETE',
    path: '/api/sessions/:id/scratchlist/attachments/:attachmentId',
    module: 'sessions',
    plane: 'web',
    summary: 'Delete an uploaded attachment no entry references (an upload the user abandoned)',
    call: async (w) => ({ params: { id: await sid(w), attachmentId: (await attachment(w, 'abandoned')).id } }),
    ok: { status: 200, schema: z.object({ ok: z.literal(true) }) },
    errors: [
      {
        status: 409,
        body: { error: 'Attachment is still referenced by a scratchlist entry', code: 'scratchlist_attachment_in_use' },
        when: 'an entry references it',
        call: async (w) => {
          await entry(w);
          return { params: { id: await sid(w), attachmentId: (await attachment(w)).id } };
        },
      },
      { status: 404, body: { error: 'Attachment not found' }, when: 'no such attachment', call: async (w) => ({ params: { id: await sid(w), attachmentId: 'nope' } }) },
    ],
    foreign: denied,
  },
  {
    method: 'DELETE',
    path: '/api/sessions/:id/scratchlist/:entryId',
    module: 'sessions',
    plane: 'web',
    summary: 'Delete an entry (and its attachments no other entry uses)',
    call: async (w) => ({ params: { id: await sid(w), entryId: (await entry(w)).entryId } }),
    ok: { status: 200, schema: z.object({ ok: z.literal(true) }) },
    errors: [{ status: 404, body: { error: 'Scratchlist entry not found' }, when: 'unknown entry id', call: async (w) => ({ params: { id: await sid(w), entryId: 'nope' } }) }],
    foreign: denied,
  },
];
