import type { FastifyInstance } from 'fastify';
import { hubMetrics } from '../../lib/metrics/registry.js';
import type { GatewayDeps } from '../deps.js';
import { requireAdmin } from '../http/admin-auth.js';

/**
 * `GET /metrics` on the public port: this gateway's series for a scraper that holds the admin
 * token (no header 401, any other token 403). Unauthenticated scraping belongs on an address of
 * its own (TEAMHUB_METRICS_LISTEN), never on the port the teammates use.
 */
export function registerMetricsRoutes(app: FastifyInstance, deps: GatewayDeps): void {
  app.get('/metrics', async (request, reply) => {
    await requireAdmin(request, deps, 'scrape-metrics');
    const m = hubMetrics();
    const text = await m.text();
    return reply.header('content-type', m.contentType).send(text);
  });
}
