import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import { AdminAuditQuery, AdminCreateNamespaceBody, AdminTransferBody, AuditQuery } from '../../gateway/hapi/schemas.js';
import { ImportMachineBody, ImportMessagesBody, ImportSessionBody, ImportTelegramBindingBody } from '../../gateway/routes/admin-ops.js';
import type { Call, World } from '../surface/world.js';
import type { CasePlane } from './http-cases.js';
import { sampleOf } from './zod-sample.js';

/** A route HAPI does not have (administration, audit, logout), with its gateway schema. */
export interface TeamhubRoute {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  plane: CasePlane;
  bodySchema?: z.ZodType;
  querySchema?: z.ZodType;
  /** A valid request; the body and query come from the schema's sample when left out. */
  call: (w: World) => Promise<Call>;
}

/** A machine registered for one route's cases alone (forget and transfer change it). */
async function ownMachine(w: World, key: string): Promise<string> {
  return (await w.registeredMachine(`badinput-${key}`)).id;
}

/** The namespace the import routes' cases write into (an import keeps ids: each case's extra copy is a no-op or a 409). */
const IMPORT_NS = 'badinput-import';

/** teamhub's own routes, each with the request schema the gateway parses it with (gateway/hapi/schemas.ts). */
export const TEAMHUB_ROUTES: TeamhubRoute[] = [
  { method: 'GET', path: '/api/audit', plane: 'web', querySchema: AuditQuery, call: async () => ({ query: { limit: '10' } }) },
  { method: 'GET', path: '/admin/v1/namespaces', plane: 'admin', call: async () => ({}) },
  {
    method: 'POST',
    path: '/admin/v1/namespaces',
    plane: 'admin',
    bodySchema: AdminCreateNamespaceBody,
    call: async () => ({ body: { ...(sampleOf(AdminCreateNamespaceBody) as object), name: `badinput-${randomUUID().slice(0, 8)}` } }),
  },
  { method: 'POST', path: '/admin/v1/namespaces/:name/rotate', plane: 'admin', call: async () => ({ params: { name: 'badinput-never-created' } }) },
  { method: 'POST', path: '/admin/v1/namespaces/:name/revoke', plane: 'admin', call: async () => ({ params: { name: 'badinput-never-created' } }) },
  { method: 'GET', path: '/admin/v1/audit', plane: 'admin', querySchema: AdminAuditQuery, call: async () => ({ query: { limit: '10', namespace: 'alice' } }) },
  { method: 'GET', path: '/admin/v1/machines', plane: 'admin', call: async () => ({ query: { namespace: 'alice' } }) },
  {
    method: 'POST',
    path: '/admin/v1/machines/:id/transfer',
    plane: 'admin',
    bodySchema: AdminTransferBody,
    call: async (w) => ({ params: { id: await ownMachine(w, 'transfer') }, body: { namespace: 'carol' } }),
  },
  { method: 'DELETE', path: '/admin/v1/machines/:id', plane: 'admin', call: async (w) => ({ params: { id: await ownMachine(w, 'forget') } }) },
  // Its own login: every accepted case revokes the JWT it carries.
  { method: 'POST', path: '/api/auth/logout', plane: 'web', call: async () => ({ body: {} }) },
  // Operations: the namespace export, the overview, metrics behind the admin token, the import API.
  { method: 'GET', path: '/api/export', plane: 'web', call: async () => ({}) },
  { method: 'GET', path: '/admin/v1/namespaces/:name/export', plane: 'admin', call: async () => ({ params: { name: 'alice' } }) },
  { method: 'GET', path: '/admin/v1/overview', plane: 'admin', call: async () => ({}) },
  { method: 'GET', path: '/metrics', plane: 'admin', call: async () => ({}) },
  {
    method: 'POST',
    path: '/admin/v1/import/session',
    plane: 'admin',
    bodySchema: ImportSessionBody,
    call: async () => {
      const now = Date.now();
      return { body: { namespace: IMPORT_NS, session: { id: randomUUID(), tag: `badinput-${randomUUID().slice(0, 8)}`, createdAt: now, updatedAt: now } } };
    },
  },
  {
    method: 'POST',
    path: '/admin/v1/import/messages',
    plane: 'admin',
    bodySchema: ImportMessagesBody,
    // Into a session of alice's own that holds nothing else (never the witness).
    call: async (w) => {
      const target = await w.session(`badinput-import-${randomUUID().slice(0, 8)}`, { live: false, machine: 'none' });
      const message = { id: randomUUID(), seq: 1, createdAt: Date.now(), localId: 'badinput-imported', contentJson: JSON.stringify({ role: 'user', content: { type: 'text', text: 'imported' } }) };
      return { body: { namespace: 'alice', sessionId: target.id, messages: [message] } };
    },
  },
  {
    method: 'POST',
    path: '/admin/v1/import/machine',
    plane: 'admin',
    bodySchema: ImportMachineBody,
    call: async () => {
      const now = Date.now();
      return { body: { namespace: IMPORT_NS, machine: { id: randomUUID(), createdAt: now, updatedAt: now } } };
    },
  },
  {
    method: 'POST',
    path: '/admin/v1/import/telegram-binding',
    plane: 'admin',
    bodySchema: ImportTelegramBindingBody,
    call: async () => ({ body: { namespace: IMPORT_NS, telegramUserId: 4_242_424, createdAt: Date.now() } }),
  },
  { method: 'POST', path: '/admin/v1/import/:kind', plane: 'admin', call: async () => ({ params: { kind: 'no-such-kind' }, body: {} }) },
];
