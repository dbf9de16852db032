import type { FastifyInstance } from 'fastify';

/**
 * HAPI's `GET /health` (no auth); teamhub has the work graph (as HAPI 0.30.7) and no title
 * suggestion, and (beyond HAPI) SSE tickets, so its page opens the event stream without a JWT in
 * the URL.
 */
export function registerHealthRoutes(app: FastifyInstance): void {
  app.get('/health', async () => ({ status: 'ok', protocolVersion: 1, capabilities: { workGraph: true, titleSuggestion: false, sseTicket: true } }));
}
