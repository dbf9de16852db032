import Fastify, { type FastifyInstance } from 'fastify';
import cors from '@fastify/cors';
import { randomUUID } from 'node:crypto';
import type { GatewayDeps } from './deps.js';
import { startLive, type Live } from './live/index.js';
import { installErrorHandler } from './http/errors.js';
import { installJsonParser } from './http/body-parser.js';
import { installPreAuthBodyLimit } from './http/pre-auth.js';
import { RedactingLogController, requestView } from './http/request-log.js';
import { registerRoutes } from './routes/index.js';
import { installHttpObservers } from './http/observe.js';

export const PROTOCOL_VERSION_HEADER = 'X-Hapi-Protocol-Version';

function corsOrigin(origins: string[]): boolean | string[] {
  return origins.includes('*') ? true : origins;
}

/**
 * Fastify's two lines per request, with the same messages and fields, at the configured level;
 * no hook at all when that level is not logged (the default: `debug` under `info`).
 */
function installRequestLogging(app: FastifyInstance, deps: GatewayDeps): void {
  const level = deps.cfg.requestLogLevel;
  if (!deps.log.isLevelEnabled(level)) return;
  // Fastify's request logger serializes `req` and `res` (method, url, host, remote address; status).
  app.addHook('onRequest', async (request) => {
    // The URL redacted: SSE's ?token= and the login link's would otherwise be logged.
    request.log[level]({ req: requestView(request) }, 'incoming request');
  });
  app.addHook('onResponse', async (request, reply) => {
    request.log[level]({ res: reply, responseTime: reply.elapsedTime }, 'request completed');
  });
}

/** Fastify with the gateway's edge rules and no route: one error handler, strict JSON bodies, CORS, the /cli protocol header. */
async function createApp(deps: GatewayDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.log,
    // Fastify's own request lines would log the URL with its query string (SSE's ?token=, the
    // login link's): these write the same lines with the URL redacted (http/request-log.ts).
    logController: new RedactingLogController(),
    bodyLimit: deps.cfg.maxBodyBytes,
    // A list, never `true`: the client is the rightmost hop that is not a trusted proxy.
    trustProxy: deps.cfg.trustedProxies.length > 0 ? [...deps.cfg.trustedProxies] : false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.-]{1,64}$/.test(given) ? given : randomUUID();
    },
    requestIdHeader: false,
    forceCloseConnections: true,
    // Logged below at TEAMHUB_REQUEST_LOG_LEVEL instead of Fastify's fixed `info`.
    disableRequestLogging: true,
  }) as unknown as FastifyInstance; // pino's Logger type is wider than FastifyBaseLogger
  installRequestLogging(app, deps);
  installErrorHandler(app);
  installHttpObservers(app);
  installJsonParser(app, deps.cfg.maxJsonDepth);
  installPreAuthBodyLimit(app, deps);
  await app.register(cors, { origin: corsOrigin(deps.cfg.corsOrigins), credentials: true });

  // Every /cli response, errors included, says which protocol version it speaks (the real CLI
  // reads the header to tell a HAPI hub from anything else answering on the URL).
  app.addHook('onSend', async (request, reply) => {
    if (request.url === '/cli' || request.url.startsWith('/cli/')) void reply.header(PROTOCOL_VERSION_HEADER, '1');
  });
  return app;
}

/** The gateway's REST routes without the live parts (not listening; no NATS needed): for tests. */
export async function buildHttpApp(deps: GatewayDeps): Promise<FastifyInstance> {
  const app = await createApp(deps);
  registerRoutes(app, deps, null);
  return app;
}

/** The whole gateway: the app, the live parts on its HTTP server, then every route from the registry. */
export async function buildGateway(deps: GatewayDeps): Promise<{ app: FastifyInstance; live: Live }> {
  const app = await createApp(deps);
  const live = await startLive(app.server, deps);
  registerRoutes(app, deps, live);
  return { app, live };
}
