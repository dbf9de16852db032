import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { largeBodyRoute } from '../http/large-body-route.js';
import { parseOr400 } from '../http/validate.js';
import { relayErrorText } from './api-machines.js';
import { requireActive, requireWebSession } from './api-sessions-guard.js';
import type { LiveRouteDeps } from './route-deps.js';

/** HAPI's upload limit: the decoded file, 50 MiB. */
export const MAX_UPLOAD_BYTES = 50 * 1024 * 1024;
/**
 * The body limit of the upload route: the base64 of a 50 MiB file plus room for the JSON around
 * it, so a file just over the limit still gets HAPI's own 413 answer rather than the generic one.
 */
const UPLOAD_BODY_LIMIT = Math.ceil(MAX_UPLOAD_BYTES / 3) * 4 + 1024 * 1024;

const UploadBody = z.object({ filename: z.string().min(1).max(255), content: z.string().min(1), mimeType: z.string().min(1).max(255) });
const DeleteUploadBody = z.object({ path: z.string().min(1) });

/** The decoded size of base64 text, without decoding it (HAPI's estimate). */
export function estimateBase64Bytes(base64: string): number {
  if (base64.length === 0) return 0;
  const padding = base64.endsWith('==') ? 2 : base64.endsWith('=') ? 1 : 0;
  return Math.floor((base64.length * 3) / 4) - padding;
}

type IdRequest = FastifyRequest<{ Params: { id: string } }>;

/**
 * `POST /api/sessions/:id/upload` and `/upload/delete`: a file the page attaches to a message is
 * stored by the session's CLI on its machine (RPC `uploadFile` / `deleteUpload`), not by the
 * hub. The RPC goes to the session's own CLI in the caller's namespace; another namespace's
 * session answers 403 before anything is relayed.
 */
export function registerSessionUploadRoutes(app: FastifyInstance, deps: LiveRouteDeps): void {
  const relay = async (reply: FastifyReply, ns: Parameters<LiveRouteDeps['live']['rpcCall']>[0], sessionId: string, method: string, params: unknown, fallback: string) => {
    try {
      return await deps.live.rpcCall(ns, sessionId, method, params, deps.cfg.rpcTimeoutMs);
    } catch (err) {
      return reply.code(500).send({ success: false, error: relayErrorText(err, fallback) });
    }
  };

  app.post('/api/sessions/:id/upload', largeBodyRoute(UPLOAD_BODY_LIMIT, deps.cfg.maxBodyBytes), async (request: IdRequest, reply) => {
    const { ctx, session } = await requireWebSession(request, deps, request.params.id);
    requireActive(session);
    const body = parseOr400(UploadBody, request.body);
    if (estimateBase64Bytes(body.content) > MAX_UPLOAD_BYTES) return reply.code(413).send({ success: false, error: 'File too large (max 50MB)' });
    ctx.log.info({ sessionId: session.id, bytes: estimateBase64Bytes(body.content) }, 'upload relayed');
    return relay(reply, ctx.namespace, session.id, 'uploadFile', { sessionId: session.id, filename: body.filename, content: body.content, mimeType: body.mimeType }, 'Failed to upload file');
  });

  app.post('/api/sessions/:id/upload/delete', async (request: IdRequest, reply) => {
    const { ctx, session } = await requireWebSession(request, deps, request.params.id);
    requireActive(session);
    const body = parseOr400(DeleteUploadBody, request.body);
    return relay(reply, ctx.namespace, session.id, 'deleteUpload', { sessionId: session.id, path: body.path }, 'Failed to delete upload');
  });
}
