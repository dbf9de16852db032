import type { FastifyInstance } from 'fastify';
import type { GatewayDeps } from '../deps.js';
import type { Live } from '../live/index.js';
import type { SocketHandlers } from '../live/socket-server.js';
import { registerAdminRoutes } from './admin.js';
import { registerAdminOpsRoutes } from './admin-ops.js';
import { registerApiAuthRoutes } from './api-auth.js';
import { registerApiMachineCatalogRoutes } from './api-machine-catalogs.js';
import { registerApiMachineRoutes } from './api-machines.js';
import { registerApiMessageQueueRoutes } from './api-message-queue.js';
import { registerApiMessageRoutes } from './api-messages.js';
import { registerApiPermissionRoutes } from './api-permissions.js';
import { registerApiScratchlistRoutes } from './api-scratchlist.js';
import { registerSessionCatalogRoutes } from './api-session-catalogs.js';
import { registerSessionControlRoutes } from './api-session-control.js';
import { registerSessionCursorRoutes } from './api-session-cursor.js';
import { registerSessionDetailRoutes } from './api-session-details.js';
import { registerSessionGitRoutes } from './api-session-git.js';
import { registerSessionHistoryRoutes } from './api-session-history.js';
import { registerSessionResumeRoutes } from './api-session-resume.js';
import { registerSessionUploadRoutes } from './api-session-uploads.js';
import { registerApiSessionRoutes } from './api-sessions.js';
import { registerAuditRoutes } from './audit.js';
import { registerCliMachineRoutes } from './cli-machines.js';
import { registerCliOpencodeClearRoutes } from './cli-opencode-clear.js';
import { registerCliSessionResumeRoutes } from './cli-session-resume.js';
import { registerCliSessionRoutes } from './cli-sessions.js';
import { registerEventRoutes } from './events.js';
import { registerHealthRoutes } from './health.js';
import { registerPushRoutes } from './api-push.js';
import { registerHubLevelRoutes } from './api-hub-level.js';
import { registerVoiceRoutes } from './api-voice.js';
import { registerWorkGraphRoutes } from './api-work-graph.js';
import { registerCodexImportRoutes } from './api-codex-import.js';
import { registerPiImportRoutes } from './api-pi-import.js';
import { registerMetricsRoutes } from './metrics.js';
import { registerNamespaceExportRoutes } from './namespace-export.js';
import type { RouteModule } from './route-deps.js';
import { attachMachineHandlers } from './socket-machine.js';
import { attachMessageHandlers } from './socket-messages.js';
import { attachRpcHandlers } from './socket-rpc.js';
import { attachSessionHandlers } from './socket-session.js';
import { registerTerminalSockets } from './socket-terminal.js';
import { registerSseTicketRoutes } from './sse-ticket.js';
import { registerTelegramBindingRoutes } from './telegram-bindings.js';
import { registerWebPage } from './web-page.js';

/**
 * Every HTTP route module of the gateway, in registration order. This list and SOCKET_HANDLERS
 * are the one place routes are registered: app.ts and live/ only build what they receive.
 */
export const HTTP_ROUTES: readonly RouteModule[] = [
  { name: 'health', plane: 'rest', register: (app) => registerHealthRoutes(app) },
  { name: 'cli-machines', plane: 'rest', register: registerCliMachineRoutes },
  { name: 'cli-sessions', plane: 'rest', register: registerCliSessionRoutes },
  { name: 'api-auth', plane: 'rest', register: registerApiAuthRoutes },
  { name: 'audit', plane: 'rest', register: registerAuditRoutes },
  { name: 'admin', plane: 'rest', register: registerAdminRoutes },
  { name: 'telegram-bindings', plane: 'rest', register: registerTelegramBindingRoutes },
  { name: 'sse-ticket', plane: 'rest', register: registerSseTicketRoutes },
  { name: 'api-push', plane: 'rest', register: registerPushRoutes },
  { name: 'api-hub-level', plane: 'rest', register: registerHubLevelRoutes },
  { name: 'api-voice', plane: 'rest', register: registerVoiceRoutes },
  { name: 'api-work-graph', plane: 'rest', register: registerWorkGraphRoutes },
  { name: 'metrics', plane: 'rest', register: registerMetricsRoutes },
  { name: 'admin-ops', plane: 'rest', register: registerAdminOpsRoutes },
  { name: 'namespace-export', plane: 'rest', register: registerNamespaceExportRoutes },
  { name: 'events', plane: 'live', register: registerEventRoutes },
  { name: 'api-sessions', plane: 'live', register: registerApiSessionRoutes },
  { name: 'api-messages', plane: 'live', register: registerApiMessageRoutes },
  { name: 'api-message-queue', plane: 'live', register: registerApiMessageQueueRoutes },
  { name: 'api-permissions', plane: 'live', register: registerApiPermissionRoutes },
  { name: 'api-machines', plane: 'live', register: registerApiMachineRoutes },
  { name: 'api-machine-catalogs', plane: 'live', register: registerApiMachineCatalogRoutes },
  { name: 'api-session-resume', plane: 'live', register: registerSessionResumeRoutes },
  { name: 'api-session-uploads', plane: 'live', register: registerSessionUploadRoutes },
  { name: 'api-scratchlist', plane: 'rest', register: registerApiScratchlistRoutes },
  { name: 'cli-session-resume', plane: 'live', register: registerCliSessionResumeRoutes },
  { name: 'cli-opencode-clear', plane: 'live', register: registerCliOpencodeClearRoutes },
  { name: 'api-session-cursor', plane: 'live', register: registerSessionCursorRoutes },
  { name: 'api-session-details', plane: 'live', register: registerSessionDetailRoutes },
  { name: 'api-session-control', plane: 'live', register: registerSessionControlRoutes },
  { name: 'api-session-history', plane: 'live', register: registerSessionHistoryRoutes },
  { name: 'api-session-catalogs', plane: 'live', register: registerSessionCatalogRoutes },
  { name: 'api-session-git', plane: 'live', register: registerSessionGitRoutes },
  { name: 'api-codex-import', plane: 'live', register: registerCodexImportRoutes },
  { name: 'api-pi-import', plane: 'live', register: registerPiImportRoutes },
  // Last: its fallback serves the page for every GET no route above answered.
  { name: 'web-page', plane: 'page', register: (app, deps) => registerWebPage(app, deps.cfg.webDir) },
];

/** Every socket event handler module, attached in this order to each authenticated `/cli` socket. */
export const SOCKET_HANDLERS: readonly SocketHandlers[] = [attachSessionHandlers, attachMessageHandlers, attachRpcHandlers, attachMachineHandlers];

/** Socket modules that need the live parts themselves (another Socket.IO namespace, a relay). */
export const LIVE_SOCKET_MODULES: ReadonlyArray<(live: Live, deps: GatewayDeps) => void> = [registerTerminalSockets];

/**
 * Registers the route modules on `app` and the socket handler modules on the live socket server.
 * Without `live` (an app with no NATS, as unit tests build it) only the `rest` modules are
 * registered.
 */
export function registerRoutes(app: FastifyInstance, deps: GatewayDeps, live: Live | null): void {
  for (const m of HTTP_ROUTES) {
    if (m.plane === 'rest') m.register(app, deps);
    else if (live) m.register(app, { ...deps, live });
  }
  if (!live) return;
  for (const attach of SOCKET_HANDLERS) live.sockets.use(attach);
  for (const register of LIVE_SOCKET_MODULES) register(live, deps);
}
