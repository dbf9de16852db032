// The runner's machine-scoped RPC handlers (acks follow HAPI's shapes).
import fs from 'node:fs/promises';
import path from 'node:path';
import type { RpcRegistry } from '../socket.js';
import type { SpawnedSessions } from './sessions.js';
import type { WorkspaceRoots } from './workspace.js';

export const OUTSIDE_ROOTS = "Directory is outside this machine's workspace roots";

export interface DirEntry {
  name: string;
  type: 'file' | 'directory' | 'other';
  size?: number;
  modified?: number;
}

export async function spawnHandler(
  params: Record<string, unknown>,
  roots: WorkspaceRoots,
  sessions: SpawnedSessions,
): Promise<Record<string, unknown>> {
  if (params.type !== undefined && params.type !== 'spawn-in-directory') {
    return { type: 'error', errorMessage: `Unsupported spawn type: ${String(params.type)}` };
  }
  const dir = roots.check(params.directory);
  if (!dir) return { type: 'error', errorMessage: OUTSIDE_ROOTS, code: 'outside_workspace_roots' };
  const st = await fs.stat(dir).catch(() => null);
  if (!st?.isDirectory()) return { type: 'error', errorMessage: `Directory does not exist: ${dir}`, code: 'directory_missing' };
  const existing = params.existingSessionId ?? params.sessionId;
  try {
    const sessionId = await sessions.spawn({
      directory: dir,
      existingSessionId: typeof existing === 'string' && existing ? existing : undefined,
    });
    return { type: 'success', sessionId };
  } catch (err) {
    return { type: 'error', errorMessage: (err as Error).message, code: 'spawn_failed' };
  }
}

export async function listDirectory(params: Record<string, unknown>, roots: WorkspaceRoots): Promise<Record<string, unknown>> {
  const dir = roots.check(params.path);
  if (!dir) return { success: false, error: "Path is outside this machine's workspace roots" };
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (err) {
    return { success: false, error: `Cannot list directory: ${(err as NodeJS.ErrnoException).code ?? 'error'}` };
  }
  const entries: DirEntry[] = [];
  for (const name of names.sort()) {
    const st = await fs.stat(path.join(dir, name)).catch(() => null);
    if (!st) entries.push({ name, type: 'other' });
    else if (st.isDirectory()) entries.push({ name, type: 'directory', modified: Math.floor(st.mtimeMs) });
    else if (st.isFile()) entries.push({ name, type: 'file', size: st.size, modified: Math.floor(st.mtimeMs) });
    else entries.push({ name, type: 'other' });
  }
  return { success: true, entries };
}

export async function pathExists(params: Record<string, unknown>, roots: WorkspaceRoots): Promise<Record<string, unknown>> {
  const paths = Array.isArray(params.paths) ? params.paths.filter((p): p is string => typeof p === 'string') : [];
  const exists: Record<string, boolean> = {};
  for (const p of paths.slice(0, 1000)) {
    const real = roots.check(p);
    exists[p] = real ? await fs.access(real).then(() => true, () => false) : false;
  }
  return { exists };
}

export function registerRunnerHandlers(
  rpc: RpcRegistry,
  deps: { roots: WorkspaceRoots; sessions: SpawnedSessions; requestStop: () => void },
): void {
  rpc.add('spawn-happy-session', (p) => spawnHandler(p, deps.roots, deps.sessions));
  rpc.add('stop-session', (p) => {
    const sid = typeof p.sessionId === 'string' ? p.sessionId : '';
    if (!deps.sessions.stop(sid)) throw new Error('Session not found or failed to stop');
    return { message: 'Session stopped' };
  });
  // HAPI's new-session form and spawn route need the runner to say which agents it can start.
  // This runner starts its one fixed command whatever agent is asked for, so it offers only the
  // page's default agent rather than claiming every agent is installed.
  rpc.add('agent-availability', () => ({ agents: [{ agent: 'claude', available: true }] }));
  rpc.add('list-directory', (p) => listDirectory(p, deps.roots));
  rpc.add('path-exists', (p) => pathExists(p, deps.roots));
  rpc.add('stop-runner', () => {
    setTimeout(deps.requestStop, 100);
    return { message: 'Runner stopping' };
  });
}
