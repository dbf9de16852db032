import type { FastifyInstance } from 'fastify';
import { AppError } from '../../lib/errors.js';
import type { GatewayDeps } from '../deps.js';
import { requireWebPrincipal } from '../http/web-auth.js';

/**
 * `POST /api/events/ticket` (beyond HAPI): a 30 s, single-use ticket for `GET
 * /api/events?ticket=`, taken with the web JWT in the Authorization header, so the page opens its
 * EventSource without its 4-hour JWT in the URL. The stream it opens belongs to that JWT: a logout,
 * rotation or the JWT's expiry ends it like any other. HAPI's `?token=` keeps working.
 */
export function registerSseTicketRoutes(app: FastifyInstance, deps: GatewayDeps): void {
  app.post('/api/events/ticket', async (request) => {
    const principal = await requireWebPrincipal(request, deps);
    if (!deps.auth.issueSseTicket) throw new AppError('not_found', 'Not found');
    return deps.auth.issueSseTicket(principal);
  });
}
