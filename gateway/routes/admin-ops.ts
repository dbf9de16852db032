import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { AppError } from '../../lib/errors.js';
import { hubContext } from '../../lib/context.js';
import { isNamespace, type Namespace } from '../../lib/namespace.js';
import type { HubCallContext } from '../../lib/context.js';
import type { GatewayDeps } from '../deps.js';
import { requireAdmin } from '../http/admin-auth.js';
import { parseOr400 } from '../http/validate.js';
import { buildOpsClients } from '../ops/clients.js';

/** The most messages one import request may carry (the session service's own bound). */
export const IMPORT_MESSAGES_PER_REQUEST = 500;

const Time = z.number().int().min(0);
const Version = z.number().int().min(0);
const Text = (max: number) => z.string().max(max);
const Id = z.string().min(1).max(256);
const NamespaceName = z.string().refine(isNamespace, 'Invalid namespace name');

/** A session as another hub stored it: ids, times, versions and the client's documents as JSON text. */
const ImportedSession = z.object({
  id: Id,
  tag: Id,
  seq: Version.default(0),
  createdAt: Time,
  updatedAt: Time,
  activeAt: Time.default(0),
  metadataJson: Text(4 * 1024 * 1024).nullable().optional(),
  metadataVersion: Version.default(1),
  agentStateJson: Text(4 * 1024 * 1024).nullable().optional(),
  agentStateVersion: Version.default(1),
  thinkingAt: Time.default(0),
  todosJson: Text(4 * 1024 * 1024).nullable().optional(),
  todosUpdatedAt: Time.default(0),
  teamStateJson: Text(4 * 1024 * 1024).nullable().optional(),
  teamStateUpdatedAt: Time.default(0),
  model: Text(256).nullable().optional(),
  modelReasoningEffort: Text(256).nullable().optional(),
  effort: Text(256).nullable().optional(),
  serviceTier: Text(256).nullable().optional(),
  permissionMode: Text(256).nullable().optional(),
  collaborationMode: Text(256).nullable().optional(),
  copilotAgentMode: Text(256).nullable().optional(),
  pinned: z.boolean().default(false),
  globalPinned: z.boolean().default(false),
  archived: z.boolean().default(false),
});

const ImportedMessage = z.object({
  id: Id,
  seq: z.number().int().min(1),
  createdAt: Time,
  localId: Id.nullable().optional(),
  contentJson: z.string(),
  invokedAt: Time.nullable().optional(),
});

const ImportedMachine = z.object({
  id: Id,
  seq: Version.default(0),
  createdAt: Time,
  updatedAt: Time,
  activeAt: Time.default(0),
  metadataJson: Text(4 * 1024 * 1024).nullable().optional(),
  metadataVersion: Version.default(1),
  runnerStateJson: Text(4 * 1024 * 1024).nullable().optional(),
  runnerStateVersion: Version.default(1),
});

/** The import API's request bodies (exported for the bad-input tier, which mutates valid ones). */
export const ImportSessionBody = z.object({ namespace: NamespaceName, session: ImportedSession });
export const ImportMessagesBody = z.object({ namespace: NamespaceName, sessionId: Id, messages: z.array(ImportedMessage).max(IMPORT_MESSAGES_PER_REQUEST) });
export const ImportMachineBody = z.object({ namespace: NamespaceName, machine: ImportedMachine });
export const ImportTelegramBindingBody = z.object({ namespace: NamespaceName, telegramUserId: z.number().int().positive(), createdAt: Time.default(0) });

const orUndefined = <T>(v: T | null | undefined): T | undefined => (v === null ? undefined : v);

/** Namespace rows of the overview, merged from auth (registered names), sessions and machines. */
interface OverviewRow {
  name: string;
  registered: boolean;
  revoked: boolean;
  sessions: number;
  activeSessions: number;
  messages: number;
  machines: number;
  machinesOnline: number;
  lastActivityAt: number | null;
}

/**
 * Hub operations for the admin: `GET /admin/v1/overview` (per namespace: counts and the last
 * activity, never content, never a name the admin did not already have) and the import API
 * `POST /admin/v1/import/{session,messages,machine,telegram-binding}` that `teamhub
 * import-hapi` writes through, so an import keeps the services' rules (namespace locks, unique
 * ids) and works on either store while the hub runs.
 */
export function registerAdminOpsRoutes(app: FastifyInstance, deps: GatewayDeps): void {
  const ops = buildOpsClients(app, deps.cfg);

  app.get('/admin/v1/overview', async (request) => {
    const ctx = await requireAdmin(request, deps, 'overview');
    const [registered, sessions, machines] = await Promise.all([
      deps.clients.auth.call('listNamespaces', {}, ctx),
      ops.session.call('namespaceActivity', {}, ctx),
      ops.machine.call('namespaceMachines', {}, ctx),
    ]);
    const rows = new Map<string, OverviewRow>();
    const row = (name: string) => {
      let r = rows.get(name);
      if (!r) rows.set(name, (r = { name, registered: false, revoked: false, sessions: 0, activeSessions: 0, messages: 0, machines: 0, machinesOnline: 0, lastActivityAt: null }));
      return r;
    };
    const seen = (r: OverviewRow, at: number | undefined) => {
      if (at && at > (r.lastActivityAt ?? 0)) r.lastActivityAt = at;
    };
    for (const n of registered.namespaces) {
      const r = row(n.name);
      r.registered = true;
      r.revoked = n.revoked;
      seen(r, n.lastUsedAt);
    }
    for (const s of sessions.namespaces) {
      const r = row(s.namespace);
      Object.assign(r, { sessions: s.sessions, activeSessions: s.activeSessions, messages: s.messages });
      seen(r, s.lastActivityAt);
    }
    for (const m of machines.namespaces) {
      const r = row(m.namespace);
      Object.assign(r, { machines: m.machines, machinesOnline: m.online });
      seen(r, m.lastActivityAt);
    }
    return { namespaces: [...rows.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)) };
  });

  /** The admin's call, acting in the namespace being imported into. */
  const into = (ctx: HubCallContext, ns: string): HubCallContext => hubContext(ctx.log, ctx.requestId, ns as Namespace);

  app.post('/admin/v1/import/session', async (request) => {
    const ctx = await requireAdmin(request, deps, 'import');
    const body = parseOr400(ImportSessionBody, request.body);
    const s = body.session;
    const session = {
      ...s,
      namespace: body.namespace,
      active: false,
      thinking: false,
      backgroundTaskCount: 0,
      hasConversationContent: false,
      lastMessageSeq: 0,
      metadataJson: orUndefined(s.metadataJson),
      agentStateJson: orUndefined(s.agentStateJson),
      todosJson: orUndefined(s.todosJson),
      teamStateJson: orUndefined(s.teamStateJson),
      model: orUndefined(s.model),
      modelReasoningEffort: orUndefined(s.modelReasoningEffort),
      effort: orUndefined(s.effort),
      serviceTier: orUndefined(s.serviceTier),
      permissionMode: orUndefined(s.permissionMode),
      collaborationMode: orUndefined(s.collaborationMode),
      copilotAgentMode: orUndefined(s.copilotAgentMode),
    };
    return ops.session.call('importSession', { session }, into(ctx, body.namespace));
  });

  app.post('/admin/v1/import/messages', async (request) => {
    const ctx = await requireAdmin(request, deps, 'import');
    const body = parseOr400(ImportMessagesBody, request.body);
    const messages = body.messages.map((m) => ({ ...m, sessionId: body.sessionId, localId: orUndefined(m.localId), invokedAt: orUndefined(m.invokedAt) }));
    return ops.session.call('importMessages', { sessionId: body.sessionId, messages }, into(ctx, body.namespace));
  });

  app.post('/admin/v1/import/machine', async (request) => {
    const ctx = await requireAdmin(request, deps, 'import');
    const body = parseOr400(ImportMachineBody, request.body);
    const m = body.machine;
    const machine = { ...m, namespace: body.namespace, active: false, metadataJson: orUndefined(m.metadataJson), runnerStateJson: orUndefined(m.runnerStateJson) };
    return ops.machine.call('importMachine', { machine }, into(ctx, body.namespace));
  });

  app.post('/admin/v1/import/telegram-binding', async (request) => {
    const ctx = await requireAdmin(request, deps, 'import');
    const body = parseOr400(ImportTelegramBindingBody, request.body);
    return ops.auth.call('importTelegramBinding', { telegramUserId: body.telegramUserId, createdAt: body.createdAt }, into(ctx, body.namespace));
  });

  // An unknown kind is a clear 404 rather than the page's fallback.
  app.post<{ Params: { kind: string } }>('/admin/v1/import/:kind', async (request) => {
    await requireAdmin(request, deps, 'import');
    throw new AppError('not_found', `Unknown import kind ${JSON.stringify(request.params.kind.slice(0, 40))}`);
  });
}
