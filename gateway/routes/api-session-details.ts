import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../../lib/errors.js';
import type { CallContext } from '../../lib/context.js';
import { PinMode } from '../../lib/gen/teamhub/session/v1/session.js';
import { EXPORT_MAX_BYTES, EXPORT_MESSAGE_LIMIT, EXPORT_TAIL, estimateExportBytes, exportHead, exportMessageJson } from '../hapi/session-export.js';
import { PinBody, SummaryBody } from '../hapi/session-rules.js';
import { jsonBodyOrNull, withLenientJson } from '../http/lenient-json.js';
import { requireWebSession } from './api-sessions-guard.js';
import type { LiveRouteDeps } from './route-deps.js';
import { updateMetadataWith } from './session-metadata.js';

type IdParams = { Params: { id: string } };

/** Messages read per page while an export is written. */
const EXPORT_PAGE = 200;

const PIN_MODE = { none: PinMode.PIN_MODE_NONE, project: PinMode.PIN_MODE_PROJECT, global: PinMode.PIN_MODE_GLOBAL } as const;

/** The export's text, page by page: one page of messages in memory at a time. */
async function* exportChunks(deps: LiveRouteDeps, ctx: CallContext, sessionId: string, head: string): AsyncGenerator<string> {
  yield head;
  let afterSeq = 0;
  let first = true;
  for (;;) {
    const page = await deps.clients.session.call('listMessages', { sessionId, afterSeq, limit: EXPORT_PAGE }, ctx);
    const parts: string[] = [];
    for (const m of page.messages) {
      const json = exportMessageJson(m);
      if (json === null) continue;
      parts.push(first ? json : `,${json}`);
      first = false;
    }
    if (parts.length > 0) yield parts.join('');
    const last = page.messages.at(-1);
    if (!page.hasMore || !last) break;
    afterSeq = last.seq;
  }
  yield EXPORT_TAIL;
}

/**
 * A session's one-line summary, pin mode, title suggestion and export. Summary and pin answer
 * HAPI's texts for a bad body (after the session check); without a title provider the title
 * suggestion answers HAPI's 503.
 */
export function registerSessionDetailRoutes(app: FastifyInstance, deps: LiveRouteDeps): void {
  withLenientJson(app, (scoped) => {
    scoped.patch<IdParams>('/api/sessions/:id/summary', async (request) => {
      const { ctx, session } = await requireWebSession(request, deps, request.params.id);
      const body = SummaryBody.safeParse(jsonBodyOrNull(request));
      if (!body.success) throw new AppError('invalid_argument', 'Invalid body: text is required');
      await updateMetadataWith(deps, ctx, session.id, (md) => ({ ...(md ?? { path: '', host: '' }), summary: { text: body.data.text, updatedAt: Date.now() } }));
      return { ok: true };
    });

    scoped.put<IdParams>('/api/sessions/:id/pin', async (request) => {
      const { ctx, session } = await requireWebSession(request, deps, request.params.id);
      const body = PinBody.safeParse(jsonBodyOrNull(request));
      if (!body.success) throw new AppError('invalid_argument', 'Invalid body: mode must be none, project, or global');
      await deps.clients.session.call('setSessionPin', { id: session.id, mode: PIN_MODE[body.data.mode] }, ctx);
      return { ok: true };
    });
  });

  app.post<IdParams>('/api/sessions/:id/title-suggestion', async (request, reply) => {
    await requireWebSession(request, deps, request.params.id);
    // teamhub has no title provider: HAPI's answer when none is configured.
    return reply.code(503).send({ error: 'Title suggestions are not configured on this Hub' });
  });

  app.get<IdParams & { Querystring: { force?: string } }>('/api/sessions/:id/export', async (request, reply) => {
    const { ctx, session } = await requireWebSession(request, deps, request.params.id);
    const force = request.query?.force === 'true';
    const stats = await deps.clients.session.call('messageStats', { sessionId: session.id }, ctx);
    const head = exportHead(session, Date.now());
    const estimatedBytes = estimateExportBytes(head, stats.count, stats.contentBytes);
    if (estimatedBytes > EXPORT_MAX_BYTES) {
      return reply.code(413).send({
        type: 'too-large',
        error: 'Session export exceeds the resource limit',
        code: 'session_export_too_large',
        count: stats.count,
        estimatedBytes,
        maxBytes: EXPORT_MAX_BYTES,
      });
    }
    if (!force && stats.count > EXPORT_MESSAGE_LIMIT) return { type: 'warning', count: stats.count, limit: EXPORT_MESSAGE_LIMIT, estimatedBytes };
    ctx.log.info({ sessionId: session.id, messages: stats.count }, 'session export started');
    const stream = Readable.from(exportChunks(deps, ctx, session.id, head));
    stream.on('error', (err) => ctx.log.warn({ err, sessionId: session.id }, 'session export failed while streaming'));
    return reply.type('application/json; charset=utf-8').send(stream);
  });
}
