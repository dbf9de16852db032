import { randomBytes } from 'node:crypto';
import type { CliConnection } from './cli-connection.js';
import { MACHINE_METADATA, SESSION_METADATA } from '../helpers/hub-harness.js';

/** The four kinds of write the load makes, as a teammate's clients would. */
export type WriteKind = 'web message' | 'CLI message' | 'session create' | 'machine create';
export const WRITE_KINDS: readonly WriteKind[] = ['web message', 'CLI message', 'session create', 'machine create'];

/**
 * How a write ended: `acked` (200, or the socket's success ack); `refused` with a clear answer
 * (HTTP 503/504 JSON, a web message's 409 while its session has no CLI, a refused connection
 * while the gateway is down, an error ack); `other` (an
 * answer that is neither, e.g. a 500 or a 401: a bug); `no-answer` (nothing within the timeout).
 */
export type Outcome = 'acked' | 'refused' | 'other' | 'no-answer';

export interface WriteRecord {
  kind: WriteKind;
  /** What identifies it when read back: a message's localId, a session's tag, a machine's id. */
  key: string;
  /** The fault phase it was sent in. */
  phase: string;
  sentAt: number;
  answeredAt?: number;
  outcome?: Outcome;
  /** `200`, `503`, `conn-refused`, `ack-error`, `timeout`… */
  answer?: string;
  /** The session id (session creates) once acknowledged. */
  id?: string;
}

export interface LoadTarget {
  /** The hub's URL now (the same across restarts, since the port is kept). */
  url: () => string;
  cliToken: string;
  jwt: () => string;
  sessionId: string;
  /** The CLI's socket for the session (reconnecting by itself). */
  cli: CliConnection;
}

/** The load's pace: one write of each kind every `everyMs`, at most `inFlight` of a kind unanswered. */
const PACE: Record<WriteKind, { everyMs: number; inFlight: number }> = {
  'web message': { everyMs: 150, inFlight: 8 },
  'CLI message': { everyMs: 150, inFlight: 64 },
  'session create': { everyMs: 600, inFlight: 4 },
  'machine create': { everyMs: 600, inFlight: 4 },
};
/** Longer than the gateway's service deadline (10 s), so a stalled service ends in its 504, not here. */
const ANSWER_TIMEOUT_MS = 15_000;

async function post(target: LoadTarget, path: string, token: string, body: unknown): Promise<{ answer: string; outcome: Outcome; json?: any }> {
  let res: Response;
  try {
    res = await fetch(`${target.url()}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(ANSWER_TIMEOUT_MS),
    });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    if (e.name === 'TimeoutError') return { answer: 'timeout', outcome: 'no-answer' };
    // The gateway is down (killed, restarting): the connection is refused or reset at once.
    const code = e.cause?.code ?? e.name;
    return { answer: code, outcome: code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' ? 'refused' : 'other' };
  }
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (res.status === 200) return { answer: '200', outcome: 'acked', json };
  const answer = `${res.status} ${text.slice(0, 120)}`;
  // While no CLI holds the session (the whole hub restarted and the CLI has not reconnected yet),
  // a web message is refused as HAPI refuses it: 409 "Session is inactive". Nothing was stored.
  if (res.status === 409 && json?.code === 'session_inactive' && json?.error === 'Session is inactive') return { answer, outcome: 'refused' };
  const clear = (res.status === 503 || res.status === 504) && typeof json?.error === 'string' && !/remote_addr|ECONN|grpc/i.test(text);
  const retryAfter = res.status !== 503 || res.headers.get('retry-after') !== null;
  return { answer, outcome: clear && retryAfter ? 'refused' : 'other' };
}

/**
 * A steady load on the hub as one teammate's clients make it: web messages (`POST
 * /api/sessions/:id/messages`), CLI socket messages (`message` with a callback, answered once
 * stored), session creates (`POST /cli/sessions`) and machine creates (`POST /cli/machines`),
 * each kind on its own pace, never waiting for one answer before the next write. Every write is
 * recorded with its phase, its times and how it ended.
 */
export class SteadyLoad {
  readonly records: WriteRecord[] = [];
  phase = 'steady';
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly pending = new Set<Promise<void>>();
  private readonly inFlight = new Map<WriteKind, number>();
  private n = 0;
  private readonly run = randomBytes(3).toString('hex');

  constructor(private readonly target: LoadTarget) {}

  start(): void {
    for (const kind of WRITE_KINDS) {
      this.inFlight.set(kind, 0);
      this.timers.push(setInterval(() => this.tick(kind), PACE[kind].everyMs));
    }
  }

  /** Stops making writes and waits for every answer (or its timeout). */
  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers.length = 0;
    await Promise.all([...this.pending]);
  }

  /** Waits until every write sent so far is answered (or timed out). */
  async settle(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  private tick(kind: WriteKind): void {
    if ((this.inFlight.get(kind) ?? 0) >= PACE[kind].inFlight) return;
    const rec: WriteRecord = { kind, key: `${this.run}-${kind.split(' ')[0]}-${++this.n}`, phase: this.phase, sentAt: Date.now() };
    this.records.push(rec);
    this.inFlight.set(kind, (this.inFlight.get(kind) ?? 0) + 1);
    const p = this.write(rec)
      .then((r) => Object.assign(rec, { answeredAt: Date.now(), outcome: r.outcome, answer: r.answer, id: r.id }))
      .catch((err: unknown) => Object.assign(rec, { answeredAt: Date.now(), outcome: 'other' as const, answer: String(err) }))
      .then(() => {
        this.inFlight.set(kind, (this.inFlight.get(kind) ?? 1) - 1);
        this.pending.delete(p);
      });
    this.pending.add(p);
  }

  private async write(rec: WriteRecord): Promise<{ outcome: Outcome; answer: string; id?: string }> {
    const t = this.target;
    switch (rec.kind) {
      case 'web message':
        return post(t, `/api/sessions/${t.sessionId}/messages`, t.jwt(), { text: rec.key, localId: rec.key });
      case 'session create': {
        const r = await post(t, '/cli/sessions', t.cliToken, { tag: rec.key, metadata: { ...SESSION_METADATA, name: rec.key } });
        return { ...r, id: r.json?.session?.id };
      }
      case 'machine create':
        return post(t, '/cli/machines', t.cliToken, { id: rec.key, metadata: MACHINE_METADATA, runnerState: { status: 'offline' } });
      case 'CLI message':
        return this.socketMessage(rec);
    }
  }

  /**
   * The CLI's agent message over its socket, with a callback the hub answers once it is stored.
   * One sent on a connection that then dropped is a clear refusal (the CLI sees the disconnect).
   */
  private async socketMessage(rec: WriteRecord): Promise<{ outcome: Outcome; answer: string }> {
    const message = { role: 'agent', content: { type: 'output', data: { type: 'assistant', text: rec.key } } };
    const r = await this.target.cli.emit('message', { sid: this.target.sessionId, message, localId: rec.key }, ANSWER_TIMEOUT_MS);
    if (r.kind === 'timeout') return { outcome: 'no-answer', answer: 'timeout' };
    if (r.kind === 'cut-off') return { outcome: 'refused', answer: 'disconnected' };
    const ack = r.ack as { result?: string; reason?: string } | undefined;
    if (ack?.result === 'success') return { outcome: 'acked', answer: 'success' };
    const clear = ack?.result === 'error' && ack.reason === 'unavailable';
    return { outcome: clear ? 'refused' : 'other', answer: `ack ${JSON.stringify(ack)}` };
  }
}
