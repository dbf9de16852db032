// Permission requests of a wrapped command, kept in the session's agentState via CAS updates.
import { randomUUID } from 'node:crypto';
import type { Socket } from 'socket.io-client';
import { casUpdate, type Versioned } from '../socket.js';
import type { PermissionLine } from './protocol-lines.js';

export type AgentState = {
  requests?: Record<string, { tool: string; arguments: unknown; createdAt?: number }>;
  completedRequests?: Record<string, Record<string, unknown>>;
  [key: string]: unknown;
};

export class Permissions {
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly socket: Socket,
    private readonly sid: string,
    private readonly state: Versioned<AgentState | null>,
  ) {}

  /** Updates run one at a time, so two changes never race each other's version. */
  private update(mutate: (s: AgentState) => AgentState): Promise<void> {
    const run = this.chain.then(() =>
      casUpdate(this.socket, 'update-state', { sid: this.sid }, 'agentState', this.state, (cur) => mutate({ ...(cur ?? {}) })),
    );
    this.chain = run.catch(() => undefined);
    return run;
  }

  async request(line: PermissionLine): Promise<string> {
    const id = randomUUID();
    await this.update((s) => ({
      ...s,
      requests: { ...(s.requests ?? {}), [id]: { tool: line.tool, arguments: line.arguments, createdAt: Date.now() } },
    }));
    return id;
  }

  /** Moves request `id` to completedRequests; throws when it is not pending. */
  async resolve(params: Record<string, unknown>): Promise<{ id: string; approved: boolean }> {
    const id = typeof params.id === 'string' ? params.id : '';
    const approved = params.approved === true;
    let found = false;
    await this.update((s) => {
      const req = s.requests?.[id];
      found = !!req;
      if (!req) return s;
      const requests = { ...s.requests };
      delete requests[id];
      const done: Record<string, unknown> = { ...req, status: approved ? 'approved' : 'denied', completedAt: Date.now() };
      for (const k of ['decision', 'mode', 'allowTools', 'answers', 'reason']) if (params[k] !== undefined) done[k] = params[k];
      return { ...s, requests, completedRequests: { ...(s.completedRequests ?? {}), [id]: done } };
    });
    if (!found) throw new Error(`Permission request not found: ${id}`);
    return { id, approved };
  }
}
