import { randomBytes } from 'node:crypto';
import type { CliSocket, HubClient } from './tls-clients.js';

const SESSION_METADATA = { path: '/srv/load', host: 'loadhost' };
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface LoadTotals {
  /** Writes the hub answered 2xx for. */
  acknowledged: number;
  /** Attempts that got no 2xx (the write was then tried again, as a client would). */
  failedAttempts: number;
  /** Writes still not acknowledged when the load stopped (never counted as stored). */
  unacknowledged: number;
  /** Failed attempts by what the client saw (HTTP status or the error). */
  failures: Record<string, number>;
}

export interface LoadVerdict {
  messages: { acknowledged: number; lost: string[]; duplicated: string[]; deliveredToSocket: number };
  sessions: { acknowledged: number; lost: string[]; duplicated: number };
}

/**
 * A steady load through Caddy in one namespace, as real clients write: web messages to one
 * session (each with its own localId) from `writers` concurrent writers, and session creates
 * (each with its own tag) from one more. A write is acknowledged when the hub answers 2xx; until
 * then the client tries the same write again (same localId / tag, so the hub stores it once)
 * after a short pause, as the web page and the CLI do. What the hub acknowledged is what
 * `verify` then looks for in the store, exactly once each.
 */
export class SteadyLoad {
  private running = false;
  private loops: Promise<void>[] = [];
  /** localId → acknowledged at (ms since the epoch). */
  readonly ackedMessages = new Map<string, number>();
  /** session id → tag, for acknowledged creates. */
  readonly ackedSessions = new Map<string, string>();
  private failedAttempts = 0;
  private unacknowledged = 0;
  private unacknowledgedCreates = 0;
  private readonly failures: Record<string, number> = {};
  private seq = 0;

  constructor(
    private readonly client: HubClient,
    private readonly opts: { cliToken: string; webToken: string; sessionId: string; writers?: number },
  ) {}

  start(): void {
    this.running = true;
    for (let w = 0; w < (this.opts.writers ?? 2); w++) this.loops.push(this.loop(() => this.postMessage(), 40));
    this.loops.push(this.loop(() => this.createSession(), 150));
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
    this.loops = [];
  }

  totals(): LoadTotals {
    return {
      acknowledged: this.ackedMessages.size + this.ackedSessions.size,
      failedAttempts: this.failedAttempts,
      unacknowledged: this.unacknowledged,
      failures: { ...this.failures },
    };
  }

  private async loop(write: () => Promise<void>, gapMs: number): Promise<void> {
    while (this.running) {
      await write();
      await pause(gapMs);
    }
  }

  /** Tries one write until it is acknowledged; gives up (unacknowledged) once the load stops. */
  private async untilAcknowledged(attempt: () => Promise<{ status: number; json: any }>): Promise<any | null> {
    for (;;) {
      let why: string;
      try {
        const res = await attempt();
        if (res.status >= 200 && res.status < 300) return res.json;
        const error = typeof res.json?.error === 'string' ? ` ${res.json.error.slice(0, 60)}` : '';
        why = `HTTP ${res.status}${error}`;
      } catch (err) {
        why = (err as Error).message.includes('timed out') ? 'timeout' : ((err as NodeJS.ErrnoException).code ?? 'network error');
      }
      this.failedAttempts += 1;
      this.failures[why] = (this.failures[why] ?? 0) + 1;
      if (!this.running) {
        this.unacknowledged += 1;
        return null;
      }
      await pause(250);
    }
  }

  private async postMessage(): Promise<void> {
    const localId = `load-${++this.seq}-${randomBytes(3).toString('hex')}`;
    const json = await this.untilAcknowledged(() =>
      this.client.request('POST', `/api/sessions/${this.opts.sessionId}/messages`, { token: this.opts.webToken, body: { text: localId, localId }, timeoutMs: 8_000 }),
    );
    if (json) this.ackedMessages.set(localId, Date.now());
  }

  private async createSession(): Promise<void> {
    const tag = `load-${++this.seq}-${randomBytes(4).toString('hex')}`;
    const json = await this.untilAcknowledged(() =>
      this.client.request('POST', '/cli/sessions', { token: this.opts.cliToken, body: { tag, metadata: SESSION_METADATA, agentState: {} }, timeoutMs: 8_000 }),
    );
    const id = json?.session?.id;
    if (typeof id === 'string') this.ackedSessions.set(id, tag);
    else this.unacknowledgedCreates += 1;
  }

  /**
   * Reads back what was acknowledged: every message of the session (paged by seq) and the
   * namespace's session list. `socket` is the CLI socket that held the session during the load.
   */
  async verify(socket: CliSocket | null, otherSessions: number): Promise<LoadVerdict> {
    const stored: string[] = [];
    for (let after = 0; ; ) {
      const res = await this.client.request('GET', `/cli/sessions/${this.opts.sessionId}/messages?afterSeq=${after}&limit=200`, { token: this.opts.cliToken });
      if (res.status !== 200) throw new Error(`reading messages back: HTTP ${res.status} ${res.text}`);
      const page = res.json.messages as Array<{ seq: number; localId: string | null }>;
      for (const m of page) if (m.localId) stored.push(m.localId);
      if (page.length < 200) break;
      after = page.at(-1)!.seq;
    }
    const counts = new Map<string, number>();
    for (const id of stored) counts.set(id, (counts.get(id) ?? 0) + 1);
    const delivered = new Set(
      (socket?.events('update') ?? []).filter((u) => u?.body?.t === 'new-message').map((u) => u.body.message?.localId as string),
    );
    const list = await this.client.request('GET', '/api/sessions?limit=500', { token: this.opts.webToken });
    if (list.status !== 200) throw new Error(`listing sessions: HTTP ${list.status} ${list.text}`);
    const listed = new Set((list.json.sessions as Array<{ id: string }>).map((s) => s.id));
    return {
      messages: {
        acknowledged: this.ackedMessages.size,
        lost: [...this.ackedMessages.keys()].filter((id) => !counts.has(id)),
        duplicated: [...counts].filter(([, n]) => n > 1).map(([id]) => id),
        deliveredToSocket: [...this.ackedMessages.keys()].filter((id) => delivered.has(id)).length,
      },
      sessions: {
        acknowledged: this.ackedSessions.size,
        lost: [...this.ackedSessions.keys()].filter((id) => !listed.has(id)),
        // Each create had its own tag and was retried with it; any session beyond the acknowledged
        // ones, the ones made before the load and the last unacknowledged tries (which the hub
        // may have stored) would be a create stored twice.
        duplicated: Math.max(0, listed.size - otherSessions - this.ackedSessions.size - this.unacknowledgedCreates),
      },
    };
  }
}
