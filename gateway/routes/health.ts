import type { FastifyInstance } from 'fastify';

/** HAPI's `GET /health` (no auth); teamhub advertises no work graph and no title suggestion. */
export function registerHealthRoutes(app: FastifyInstance): void {
  app.get('/health', async () => ({ status: 'ok', protocolVersion: 1, capabilities: { workGraph: false, titleSuggestion: false } }));
}
