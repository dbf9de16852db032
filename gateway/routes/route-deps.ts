import type { FastifyInstance } from 'fastify';
import type { GatewayDeps } from '../deps.js';
import type { Live } from '../live/index.js';

/** What a route module that needs the live parts receives (sockets, RPC routing, SSE). */
export interface LiveRouteDeps extends GatewayDeps {
  live: Live;
}

/**
 * One entry of the route registry (routes/index.ts). `rest` modules need only the services,
 * so an app without NATS (unit tests) can serve them; `live` modules need the live parts; the
 * `page` is registered last, only in the whole gateway (its fallback answers every other GET).
 */
export type RouteModule =
  | { name: string; plane: 'rest'; register: (app: FastifyInstance, deps: GatewayDeps) => void }
  | { name: string; plane: 'live' | 'page'; register: (app: FastifyInstance, deps: LiveRouteDeps) => void };
