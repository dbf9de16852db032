import { ApiError, readJson, send } from './api-error.js';
import type { AuthController } from './auth.js';
import type { DirectoryEntry, Machine, Message, MessagePage, Session, SpawnResult } from './types.js';

const enc = encodeURIComponent;

/** The hub's `/api` routes, called with the current web JWT; a 401 ends the login. */
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

  sessions(): Promise<{ sessions: Session[] }> {
    return this.request('GET', '/api/sessions');
  }
  session(id: string): Promise<{ session: Session }> {
    return this.request('GET', `/api/sessions/${enc(id)}`);
  }
  messages(id: string, beforeSeq?: number | null): Promise<{ messages: Message[]; page: MessagePage }> {
    const q = new URLSearchParams({ limit: '50' });
    if (beforeSeq != null) q.set('beforeSeq', String(beforeSeq));
    return this.request('GET', `/api/sessions/${enc(id)}/messages?${q}`);
  }
  sendMessage(id: string, text: string, localId: string): Promise<unknown> {
    return this.request('POST', `/api/sessions/${enc(id)}/messages`, { text, localId });
  }
  answerPermission(id: string, requestId: string, approve: boolean): Promise<unknown> {
    return this.request('POST', `/api/sessions/${enc(id)}/permissions/${enc(requestId)}/${approve ? 'approve' : 'deny'}`, {});
  }
  abort(id: string): Promise<unknown> {
    return this.request('POST', `/api/sessions/${enc(id)}/abort`, {});
  }
  archive(id: string): Promise<unknown> {
    return this.request('POST', `/api/sessions/${enc(id)}/archive`, {});
  }
  rename(id: string, name: string): Promise<unknown> {
    return this.request('PATCH', `/api/sessions/${enc(id)}`, { name });
  }
  machines(): Promise<{ machines: Machine[] }> {
    return this.request('GET', '/api/machines');
  }
  listDirectory(machineId: string, path: string): Promise<{ success: boolean; entries?: DirectoryEntry[]; error?: string }> {
    return this.request('POST', `/api/machines/${enc(machineId)}/list-directory`, { path });
  }
  spawn(machineId: string, directory: string, agent?: string): Promise<SpawnResult> {
    return this.request('POST', `/api/machines/${enc(machineId)}/spawn`, agent ? { directory, agent } : { directory });
  }
}
