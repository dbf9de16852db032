import Fastify, { type FastifyInstance } from 'fastify';
import cors from '@fastify/cors';
import { randomUUID } from 'node:crypto';
import type { GatewayDeps } from './deps.js';
import { registerLive, type LiveHandle } from './live/index.js';
import { installErrorHandler } from './http/errors.js';
import { installJsonParser } from './http/body-parser.js';
import { registerHealthRoutes } from './routes/health.js';
import { registerCliMachineRoutes } from './routes/cli-machines.js';
import { registerCliSessionRoutes } from './routes/cli-sessions.js';
import { registerApiAuthRoutes, type LocalRevoker } from './routes/api-auth.js';
import { registerAdminRoutes } from './routes/admin.js';
import { registerAuditRoutes } from './routes/audit.js';
import { registerWebPage } from './routes/web-page.js';
import { registerMachineRoutes } from './routes/api-machines.js';

export const PROTOCOL_VERSION_HEADER = 'X-Hapi-Protocol-Version';

function isLocalRevoker(x: unknown): x is LocalRevoker {
  return typeof (x as LocalRevoker)?.applyRevocation === 'function';
}

function corsOrigin(origins: string[]): boolean | string[] {
  return origins.includes('*') ? true : origins;
}

/**
 * The gateway's HTTP app without the live module (not listening): one error handler, strict
 * JSON bodies, CORS, the protocol header on /cli, and the REST routes.
 */
export async function buildHttpApp(deps: GatewayDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.log,
    bodyLimit: deps.cfg.maxBodyBytes,
    trustProxy: deps.cfg.trustProxy,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.-]{1,64}$/.test(given) ? given : randomUUID();
    },
    requestIdHeader: false,
    forceCloseConnections: true,
  }) as unknown as FastifyInstance; // pino's Logger type is wider than FastifyBaseLogger
  installErrorHandler(app);
  installJsonParser(app);
  await app.register(cors, { origin: corsOrigin(deps.cfg.corsOrigins), credentials: true });

  // Every /cli response, errors included, says which protocol it speaks (HAPI cli.ts:72).
  app.addHook('onSend', async (request, reply) => {
    if (request.url === '/cli' || request.url.startsWith('/cli/')) void reply.header(PROTOCOL_VERSION_HEADER, '1');
  });

  registerHealthRoutes(app);
  registerCliMachineRoutes(app, deps);
  registerCliSessionRoutes(app, deps);
  registerApiAuthRoutes(app, deps, isLocalRevoker(deps.auth) ? deps.auth : undefined);
  registerAuditRoutes(app, deps);
  registerAdminRoutes(app, deps);
  return app;
}

/** The whole gateway: the HTTP app, then the live module (Socket.IO, SSE, web routes). */
export async function buildGateway(deps: GatewayDeps): Promise<{ app: FastifyInstance; live: LiveHandle }> {
  const app = await buildHttpApp(deps);
  const live = await registerLive(app, deps);
  registerMachineRoutes(app, deps, live);
  registerWebPage(app, deps.cfg.webDir);
  return { app, live };
}
