import type { CallContext } from '../../lib/context.js';
import { AppError } from '../../lib/errors.js';
import type { Machine } from '../../lib/gen/teamhub/machine/v1/machine.js';
import type { Message, Session } from '../../lib/gen/teamhub/session/v1/session.js';
import { CasResult } from '../../lib/gen/teamhub/common/v1/common.js';
import type { LiveRouteDeps } from './route-deps.js';
import { onlineMachines } from './machine-spawn.js';

/**
 * What the Codex and Pi imports share: finding the online machine of the caller's namespace to
 * ask, asking it over routed RPC, and writing an imported transcript into a session of that
 * namespace through the session service (create, append, metadata by compare-and-swap).
 */

/** HAPI's timeout for catalog-like machine RPCs. */
const LIST_RPC_TIMEOUT_MS = 30_000;
const PAGE = 200;

const asRecord = (v: unknown): Record<string, unknown> | null => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null);

export function parseJsonObject(text: string | undefined): Record<string, unknown> | null {
  if (text === undefined) return null;
  try {
    return asRecord(JSON.parse(text));
  } catch {
    return null;
  }
}

/** A machine's host and platform from its metadata (what imported sessions are labelled with). */
export function machineLabel(m: Machine): { id: string; host: string | null; platform: string | null; workspaceRoots: string[] } {
  const meta = parseJsonObject(m.metadataJson);
  const roots = Array.isArray(meta?.workspaceRoots) ? meta.workspaceRoots.filter((r): r is string => typeof r === 'string') : [];
  return { id: m.id, host: typeof meta?.host === 'string' ? meta.host : null, platform: typeof meta?.platform === 'string' ? meta.platform : null, workspaceRoots: roots };
}

function insideRoot(p: string, root: string): boolean {
  const norm = (s: string) => s.replace(/\\/g, '/').replace(/\/+$/, '');
  const [a, b] = [norm(p), norm(root)];
  return a === b || a.startsWith(`${b}/`);
}

/**
 * The online machine of the namespace to ask (HAPI's choice): the requested one if it is online
 * here, else the one machine whose workspace roots hold `cwd`, else the first online one. An id of
 * another namespace is simply not online here.
 */
export async function importMachine(deps: LiveRouteDeps, ctx: CallContext, requested: string | null, cwd: string | null): Promise<Machine | null> {
  const online = await onlineMachines(deps, deps.live, ctx);
  if (requested) return online.find((m) => m.id === requested) ?? null;
  if (cwd) {
    const owning = online.filter((m) => machineLabel(m).workspaceRoots.some((r) => insideRoot(cwd, r)));
    if (owning.length === 1) return owning[0]!;
  }
  return online[0] ?? null;
}

/** The machine RPC; a failed call (no runner, a timeout, an error) is `{success:false, error}` as the runner's own refusal is. */
export async function askMachine(deps: LiveRouteDeps, ctx: CallContext, machineId: string, method: string, params: unknown): Promise<unknown> {
  try {
    return await deps.live.rpcCall(ctx.namespace, machineId, method, params, LIST_RPC_TIMEOUT_MS);
  } catch (err) {
    return { success: false, error: err instanceof Error ? err.message : String(err) };
  }
}

export async function namespaceSessions(deps: LiveRouteDeps, ctx: CallContext): Promise<Session[]> {
  return (await deps.clients.session.call('listSessions', {}, ctx)).sessions;
}

/** Every message of a session, oldest first. */
export async function allMessages(deps: LiveRouteDeps, ctx: CallContext, sessionId: string): Promise<Message[]> {
  const out: Message[] = [];
  let after = 0;
  for (;;) {
    const page = await deps.clients.session.call('listMessages', { sessionId, afterSeq: after, limit: PAGE }, ctx);
    out.push(...page.messages);
    if (!page.hasMore || page.messages.length === 0) return out;
    after = page.messages[page.messages.length - 1]!.seq;
  }
}

/** Appends imported messages (delivered: the agent already saw them); the ones actually stored. */
export async function appendImported(deps: LiveRouteDeps, ctx: CallContext, sessionId: string, messages: Array<{ content: unknown; localId?: string; createdAt?: number }>): Promise<Message[]> {
  const stored: Message[] = [];
  for (const m of messages) {
    const res = await deps.clients.session.call('appendMessage', { sessionId, contentJson: JSON.stringify(m.content), localId: m.localId, createdAt: m.createdAt, invoked: true }, ctx);
    if (res.created && res.message) stored.push(res.message);
  }
  return stored;
}

/** Rewrites a session's metadata with `transform`, retrying when another writer got there first. */
export async function updateMetadata(deps: LiveRouteDeps, ctx: CallContext, sessionId: string, transform: (m: Record<string, unknown>) => Record<string, unknown>): Promise<Record<string, unknown>> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const { session } = await deps.clients.session.call('getSession', { id: sessionId }, ctx);
    if (!session) throw new AppError('not_found', 'Imported HAPI session disappeared');
    const next = transform(parseJsonObject(session.metadataJson) ?? {});
    const res = await deps.clients.session.call('updateMetadata', { id: sessionId, expectedVersion: session.metadataVersion, json: JSON.stringify(next) }, ctx);
    if (res.result === CasResult.CAS_RESULT_SUCCESS) return next;
  }
  throw new AppError('conflict', 'Import metadata changed concurrently');
}
