import { ApiError, readJson, send } from './api-error.js';
import type { AuthController } from './auth.js';
import type { Attachment } from './chat/normalize.js';
import type { MessagePage } from './message-store.js';
import type { AgentAvailability, CodexModel, DirectoryEntry, Machine, RpcResult, Session, SpawnRequest, SpawnResult } from './types.js';

const enc = encodeURIComponent;

export interface SendBody {
  text: string;
  localId: string;
  attachments?: Attachment[];
  scheduledAt?: number;
  deliveryMode?: 'queue' | 'steer';
}

export type GitOutput = RpcResult<{ stdout?: string; stderr?: string; exitCode?: number }>;

/** The hub's `/api` routes (HAPI's web API), called with the current web JWT; a 401 ends the login. */
export class Api {
  constructor(private readonly auth: AuthController) {}

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const jwt = await this.auth.jwt();
    const headers: Record<string, string> = { authorization: `Bearer ${jwt}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await send(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    try {
      return await readJson<T>(res);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) this.auth.expire();
      throw err;
    }
  }

  /** The namespace's export (`GET /api/export`, JSON Lines) as a file to save. */
  async exportNamespace(): Promise<Blob> {
    const jwt = await this.auth.jwt();
    const res = await send('/api/export', { method: 'GET', headers: { authorization: `Bearer ${jwt}` } });
    if (!res.ok) {
      if (res.status === 401) this.auth.expire();
      await readJson(res);
    }
    return res.blob();
  }

  private s(id: string, rest = ''): string {
    return `/api/sessions/${enc(id)}${rest}`;
  }

  // Sessions
  sessions(): Promise<{ sessions: Session[] }> {
    return this.request('GET', '/api/sessions');
  }
  session(id: string): Promise<{ session: Session }> {
    return this.request('GET', this.s(id));
  }
  abort(id: string): Promise<unknown> {
    return this.request('POST', this.s(id, '/abort'), {});
  }
  archive(id: string): Promise<unknown> {
    return this.request('POST', this.s(id, '/archive'), {});
  }
  rename(id: string, name: string): Promise<unknown> {
    return this.request('PATCH', this.s(id), { name });
  }
  /** A session started in a terminal hands control to remote clients (this page). */
  switchToRemote(id: string): Promise<unknown> {
    return this.request('POST', this.s(id, '/switch'), {});
  }
  setPermissionMode(id: string, mode: string): Promise<unknown> {
    return this.request('POST', this.s(id, '/permission-mode'), { mode });
  }
  setModel(id: string, model: string | null): Promise<unknown> {
    return this.request('POST', this.s(id, '/model'), { model });
  }
  setEffort(id: string, effort: string | null): Promise<unknown> {
    return this.request('POST', this.s(id, '/effort'), { effort });
  }
  setReasoningEffort(id: string, modelReasoningEffort: string | null): Promise<unknown> {
    return this.request('POST', this.s(id, '/model-reasoning-effort'), { modelReasoningEffort });
  }
  sessionCodexModels(id: string): Promise<RpcResult<{ models?: CodexModel[] }>> {
    return this.request('GET', this.s(id, '/codex-models'));
  }

  // Messages
  messages(id: string, query: Record<string, string> = {}): Promise<MessagePage> {
    const q = new URLSearchParams({ limit: '50', ...query });
    return this.request('GET', this.s(id, `/messages?${q}`));
  }
  sendMessage(id: string, body: SendBody): Promise<unknown> {
    return this.request('POST', this.s(id, '/messages'), body);
  }
  cancelQueued(id: string, messageId: string): Promise<{ status?: string }> {
    return this.request('DELETE', this.s(id, `/messages/${enc(messageId)}`));
  }
  steerQueued(id: string, messageId: string): Promise<{ status?: string }> {
    return this.request('POST', this.s(id, `/messages/${enc(messageId)}/steer`));
  }
  retryQueued(id: string, messageId: string): Promise<{ status?: string }> {
    return this.request('POST', this.s(id, `/messages/${enc(messageId)}/retry`));
  }
  upload(id: string, filename: string, content: string, mimeType: string): Promise<RpcResult<{ path?: string }>> {
    return this.request('POST', this.s(id, '/upload'), { filename, content, mimeType });
  }
  deleteUpload(id: string, path: string): Promise<RpcResult> {
    return this.request('POST', this.s(id, '/upload/delete'), { path });
  }

  // Permissions
  approve(id: string, requestId: string, body: { mode?: string; allowTools?: string[]; decision?: string; answers?: Record<string, string[]> } = {}): Promise<unknown> {
    return this.request('POST', this.s(id, `/permissions/${enc(requestId)}/approve`), body);
  }
  deny(id: string, requestId: string, body: { decision?: string } = {}): Promise<unknown> {
    return this.request('POST', this.s(id, `/permissions/${enc(requestId)}/deny`), body);
  }

  // Review: git and files, answered by the session's CLI
  gitStatus(id: string): Promise<GitOutput> {
    return this.request('GET', this.s(id, '/git-status'));
  }
  gitNumstat(id: string, staged: boolean): Promise<GitOutput> {
    return this.request('GET', this.s(id, `/git-diff-numstat?staged=${staged}`));
  }
  gitDiffFile(id: string, path: string, staged: boolean): Promise<GitOutput> {
    return this.request('GET', this.s(id, `/git-diff-file?${new URLSearchParams({ path, staged: String(staged) })}`));
  }
  readFile(id: string, path: string): Promise<RpcResult<{ content?: string; size?: number }>> {
    return this.request('GET', this.s(id, `/file?${new URLSearchParams({ path })}`));
  }
  listDirectory(id: string, path: string): Promise<RpcResult<{ entries?: DirectoryEntry[] }>> {
    return this.request('GET', this.s(id, path ? `/directory?${new URLSearchParams({ path })}` : '/directory'));
  }

  // Machines
  machines(): Promise<{ machines: Machine[] }> {
    return this.request('GET', '/api/machines');
  }
  listMachineDirectory(machineId: string, path: string): Promise<{ success: boolean; entries?: DirectoryEntry[]; error?: string }> {
    return this.request('POST', `/api/machines/${enc(machineId)}/list-directory`, { path });
  }
  spawn(machineId: string, body: SpawnRequest): Promise<SpawnResult> {
    return this.request('POST', `/api/machines/${enc(machineId)}/spawn`, body);
  }
  agentAvailability(machineId: string): Promise<AgentAvailability> {
    return this.request('GET', `/api/machines/${enc(machineId)}/agent-availability`);
  }
  machineCodexModels(machineId: string): Promise<RpcResult<{ models?: CodexModel[] }>> {
    return this.request('GET', `/api/machines/${enc(machineId)}/codex-models`);
  }

  // Notifications
  vapidPublicKey(): Promise<{ publicKey: string }> {
    return this.request('GET', '/api/push/vapid-public-key');
  }
  subscribePush(body: { endpoint: string; keys: { p256dh: string; auth: string } }): Promise<unknown> {
    return this.request('POST', '/api/push/subscribe', body);
  }
  unsubscribePush(body: { endpoint: string }): Promise<unknown> {
    return this.request('DELETE', '/api/push/subscribe', body);
  }
  /** Tells the hub whether this page is in view (a visible page gets toasts instead of pushes). */
  visibility(subscriptionId: string, visibility: 'visible' | 'hidden'): Promise<unknown> {
    return this.request('POST', '/api/visibility', { subscriptionId, visibility });
  }
}
