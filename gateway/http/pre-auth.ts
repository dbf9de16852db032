import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../lib/errors.js';
import type { GatewayDeps } from '../deps.js';
import { requireAdmin } from './admin-auth.js';
import { requireCliContext } from './cli-auth.js';
import { HUB_LEVEL_BODY_ROUTES, hubLevelCaller } from './hub-owner.js';
import { requireWebPrincipal } from './web-auth.js';

/** Routes that take a body from a caller who has no credential yet (the logins). */
const PUBLIC_BODY_ROUTES = new Set(['/api/auth', '/api/bind']);

function declaredLength(request: FastifyRequest): number | null {
  const raw = request.headers['content-length'];
  if (raw === undefined) return null;
  const n = Number(raw);
  return Number.isFinite(n) && n >= 0 ? n : null;
}

/** Reads and drops a refused body, at most `maxBytes` of it (a longer chunked one is cut there). */
async function discard(payload: NodeJS.ReadableStream, maxBytes: number): Promise<void> {
  let seen = 0;
  for await (const chunk of payload) {
    seen += (chunk as Buffer).length;
    if (seen > maxBytes) return;
  }
}

/**
 * A large body is read only from a caller whose credential holds: Fastify parses the body before
 * a route's handler checks who is asking, so without this anyone could make the gateway buffer
 * `TEAMHUB_MAX_BODY_BYTES` per request. A body that is small (at most `preAuthBodyBytes`, which
 * every login and admin call is) passes as before; a larger or chunked one is checked first with
 * the plane's own rule (the CLI's access token on `/cli`, the web JWT on `/api`, the admin token
 * on the hub-level routes that take it and on the admin import API `/admin/v1/import/`, which takes
 * pages of another hub's messages); anywhere else it is 413, after the body is read and dropped so
 * the client gets the answer. A refused caller's connection is closed afterwards.
 */
export function installPreAuthBodyLimit(app: FastifyInstance, deps: Pick<GatewayDeps, 'auth' | 'cfg'>): void {
  const limit = deps.cfg.preAuthBodyBytes;
  app.addHook('preParsing', async (request, reply, payload) => {
    const declared = declaredLength(request);
    const chunked = declared === null && request.headers['transfer-encoding'] !== undefined;
    if (!chunked && (declared === null || declared <= limit)) return payload;
    const urlPath = request.url.split('?')[0] ?? '';
    try {
      // A declared length beyond the route's limit is 413 whoever asks: the header alone says so,
      // and an answer about the credential instead would hide the real reason from a valid caller.
      if (declared !== null && declared > request.routeOptions.bodyLimit) {
        // Within the gateway's limit (a route with a smaller one, as the work graph's), dropped
        // as it comes so the client gets the 413 instead of a reset connection.
        if (declared <= deps.cfg.maxBodyBytes) await discard(payload, declared);
        throw new AppError('payload_too_large', 'Payload too large');
      }
      if (urlPath.startsWith('/cli/')) await requireCliContext(request, deps);
      // The hub-level routes take the admin token as well as a web JWT (hub-owner.ts).
      else if (HUB_LEVEL_BODY_ROUTES.has(urlPath)) await hubLevelCaller(request, deps, 'send-large-body');
      else if (urlPath.startsWith('/api/') && !PUBLIC_BODY_ROUTES.has(urlPath)) await requireWebPrincipal(request, deps);
      // The admin import API takes pages of another hub's messages, well over the small limit;
      // the other admin calls are small, so a large body there is 413 like a login's.
      else if (urlPath.startsWith('/admin/v1/import/')) await requireAdmin(request, deps, 'send-large-body');
      else {
        // No credential can lift the limit here, so the body is dropped as it comes (never
        // buffered): closing on a client still writing would lose the 413 to a reset connection.
        await discard(payload, request.routeOptions.bodyLimit);
        throw new AppError('payload_too_large', 'Payload too large');
      }
    } catch (err) {
      void reply.header('Connection', 'close');
      throw err;
    }
    return payload;
  });
}
