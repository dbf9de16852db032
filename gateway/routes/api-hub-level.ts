import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { AppError } from '../../lib/errors.js';
import type { GatewayDeps } from '../deps.js';
import { isTimeZone, parseRange, usageSummary } from '../hapi/usage-summary.js';
import { hubLevelCaller, requireHubOwner } from '../http/hub-owner.js';
import { requireWebCall } from '../http/web-auth.js';
import { UsageScanner } from './usage-scan.js';

/** The services that keep a SQLite file `<data dir>/<name>.db` (make run). */
const SQLITE_SERVICES = ['auth', 'session', 'machine', 'notify'] as const;

/** HAPI's UpdateHubSettingsRequestSchema: at least one of the two switches. */
const HubSettingsUpdate = z
  .object({ sessionSummaryContract: z.boolean().optional(), sessionSummaryInChat: z.boolean().optional() })
  .refine((d) => d.sessionSummaryContract !== undefined || d.sessionSummaryInChat !== undefined);

async function fileSize(file: string, required: boolean): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch (err) {
    if (!required && (err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
}

/** One service's SQLite file with its WAL and shared-memory files, as HAPI reports its one database. */
async function sqliteUsage(file: string) {
  const [databaseBytes, walBytes, shmBytes] = await Promise.all([fileSize(file, true), fileSize(`${file}-wal`, false), fileSize(`${file}-shm`, false)]);
  return { path: file, databaseBytes, walBytes, shmBytes, totalBytes: databaseBytes + walBytes + shmBytes };
}

const settingsBody = (s: { sessionSummaryContract: boolean; sessionSummaryInChat: boolean } | undefined) => ({
  sessionSummaryContract: s?.sessionSummaryContract === true,
  sessionSummaryInChat: s?.sessionSummaryInChat === true,
});

/**
 * The hub-level routes. HAPI serves storage, usage and hub-settings writes to its owner (the
 * default namespace) and 403s everyone else; in teamhub namespaces are peers, so:
 * - `GET /api/storage/sqlite` (hub-wide figures) answers the admin token only: the services'
 *   SQLite files summed (each listed in `files`); a namespace, the default one included, gets
 *   HAPI's 403. With `TEAMHUB_STORE=mongo` there are no such files: 404.
 * - `GET /api/usage/summary` shows every namespace its own sessions' usage (HAPI computes it per
 *   namespace too, but shows only the default one's).
 * - `GET /api/hub-settings` is read by everyone (as HAPI); `PUT` takes the admin token only.
 */
export function registerHubLevelRoutes(app: FastifyInstance, deps: GatewayDeps): void {
  const usage = new UsageScanner(deps.clients);

  app.get('/api/storage/sqlite', async (request, reply) => {
    const ctx = await requireHubOwner(request, deps, 'read-storage', 'Storage usage is only available to the hub owner');
    void reply.header('Cache-Control', 'no-store');
    if (deps.cfg.storeKind !== 'sqlite') throw new AppError('not_found', 'The hub keeps no SQLite files (TEAMHUB_STORE=mongo)');
    try {
      const files = await Promise.all(SQLITE_SERVICES.map(async (service) => ({ service, ...(await sqliteUsage(path.join(deps.cfg.dataDir, `${service}.db`))) })));
      const sum = (k: 'databaseBytes' | 'walBytes' | 'shmBytes') => files.reduce((n, f) => n + f[k], 0);
      const [databaseBytes, walBytes, shmBytes] = [sum('databaseBytes'), sum('walBytes'), sum('shmBytes')];
      return { path: deps.cfg.dataDir, databaseBytes, walBytes, shmBytes, totalBytes: databaseBytes + walBytes + shmBytes, files };
    } catch (err) {
      // A missing file means this gateway does not share the services' data dir (another host).
      ctx.log.warn({ err }, 'sqlite storage usage not readable');
      return reply.code(500).send({ error: 'Failed to read SQLite storage usage' });
    }
  });

  app.get('/api/usage/summary', async (request, reply) => {
    const { ctx } = await requireWebCall(request, deps);
    const q = (request.query ?? {}) as Record<string, unknown>;
    const timeZone = typeof q.timeZone === 'string' ? q.timeZone : 'UTC';
    if (!isTimeZone(timeZone)) return reply.code(400).send({ error: 'Invalid timeZone' });
    const events = await usage.events(ctx);
    void reply.header('Cache-Control', 'no-store');
    return usageSummary(events, parseRange(q.range), timeZone, Date.now());
  });

  app.get('/api/hub-settings', async (request, reply) => {
    const caller = await hubLevelCaller(request, deps, 'read-hub-settings');
    const res = await deps.clients.notify.call('getHubSettings', {}, caller.ctx);
    void reply.header('Cache-Control', 'no-store');
    return settingsBody(res.settings);
  });

  app.put('/api/hub-settings', async (request, reply) => {
    const ctx = await requireHubOwner(request, deps, 'update-hub-settings', 'Hub settings are only available to the hub owner');
    const parsed = HubSettingsUpdate.safeParse(request.body);
    if (!parsed.success) return reply.code(400).send({ error: 'Invalid body' });
    const res = await deps.clients.notify.call('setHubSettings', parsed.data, ctx);
    void reply.header('Cache-Control', 'no-store');
    return settingsBody(res.settings);
  });
}
