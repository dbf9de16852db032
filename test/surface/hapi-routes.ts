import { CATALOG_ROUTES } from './routes/catalogs.js';
import { CLI_ROUTES } from './routes/cli.js';
import { GIT_ROUTES } from './routes/git-files.js';
import { HUB_LEVEL_ROUTES } from './routes/hub-level.js';
import { IMPORT_ROUTES } from './routes/imports.js';
import { MACHINE_ROUTES } from './routes/machines.js';
import { MESSAGE_ROUTES } from './routes/messages.js';
import { PUSH_ROUTES } from './routes/push-devices.js';
import { SCRATCHLIST_ROUTES } from './routes/scratchlist.js';
import { SESSION_ROUTES } from './routes/sessions.js';
import { routeId, type RouteSpec } from './routes/types.js';
import { VOICE_ROUTES } from './routes/voice.js';
import { WEB_AUTH_ROUTES } from './routes/web-auth.js';
import { WORK_GRAPH_ROUTES } from './routes/work-graph.js';

/**
 * Every HTTP route HAPI 0.30.7's hub serves (128: `/cli`, `/api`, `/health`), one entry each, in
 * the order the test exercises them. Each entry: method, path, auth plane, a valid request, the
 * success status and HAPI's response schema, the error answers with their exact bodies, the RPC it
 * relays with its params, and what a second namespace gets. The files under routes/ group them by
 * area; each names the hub module that declares the route.
 */
export const HAPI_ROUTES: RouteSpec[] = [
  ...WEB_AUTH_ROUTES,
  ...CLI_ROUTES,
  ...SESSION_ROUTES,
  ...SCRATCHLIST_ROUTES,
  ...CATALOG_ROUTES,
  ...MESSAGE_ROUTES,
  ...GIT_ROUTES,
  ...MACHINE_ROUTES,
  ...HUB_LEVEL_ROUTES,
  ...IMPORT_ROUTES,
  ...PUSH_ROUTES,
  ...VOICE_ROUTES,
  ...WORK_GRAPH_ROUTES,
];

/** The spec of `METHOD /path`. */
export function hapiRoute(id: string): RouteSpec {
  const spec = HAPI_ROUTES.find((r) => routeId(r) === id);
  if (!spec) throw new Error(`no HAPI route ${id}`);
  return spec;
}
