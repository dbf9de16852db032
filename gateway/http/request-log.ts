import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

/**
 * Query parameters that carry a credential: HAPI's SSE takes the web JWT as `?token=`, the
 * shareable login link is `/?token=<access token>`, and the SSE ticket is one too. Their values
 * never reach a log line.
 */
const SECRET_PARAMS = new Set(['token', 'ticket', 'access_token', 'accesstoken', 'jwt']);

/** `url` with the value of every credential-carrying query parameter replaced by `[redacted]`. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const parts = url.slice(q + 1).split('&').map((pair) => {
    const eq = pair.indexOf('=');
    const rawKey = eq < 0 ? pair : pair.slice(0, eq);
    let key = rawKey;
    try {
      key = decodeURIComponent(rawKey.replace(/\+/g, ' '));
    } catch {
      // a malformed escape: judge the raw text
    }
    return SECRET_PARAMS.has(key.trim().toLowerCase()) ? `${rawKey}=[redacted]` : pair;
  });
  return `${url.slice(0, q)}?${parts.join('&')}`;
}

/** What a log line shows of a request: its URL redacted (Fastify's `req` serializer reads these fields). */
export function requestView(request: FastifyRequest): Record<string, unknown> {
  return { method: request.method, url: redactUrl(request.url), host: request.host, ip: request.ip, headers: {} };
}

/**
 * Fastify's own request lines ("incoming request", a 5xx error, "Route … not found"), with the URL
 * redacted first: Fastify logs `req.url` with its query string, which would put every SSE
 * connect's JWT and every login link's token in the log.
 */
export class RedactingLogController extends LogController {
  // "incoming request" and "request completed" are written by the app's own hooks at
  // TEAMHUB_REQUEST_LOG_LEVEL, the URL redacted the same way (app.ts).
  override incomingRequest(): void {}

  override requestCompleted(): void {}

  override defaultErrorLog(error: Error, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return;
    if (reply.statusCode >= 500) reply.log.error({ req: requestView(request), res: reply, err: error }, error?.message);
    else reply.log.info({ res: reply, err: error }, error?.message);
  }

  override routeNotFound(request: FastifyRequest): void {
    if (this.isLogDisabled(request)) return;
    request.log.info({ req: requestView(request) }, 'route not found');
  }

  override writeHeadError(error: Error, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return;
    reply.log.warn({ req: requestView(request), res: reply, err: error }, error?.message);
  }
}
