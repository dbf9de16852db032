import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { RequestError } from '@nats-io/transport-node';
import type { Namespace as IoNamespace, Socket } from 'socket.io';
import { TerminalFrame } from '../../lib/gen/teamhub/terminal/v1/terminal.js';
import type { Logger } from '../../lib/logger.js';
import { parseNamespace, type Namespace } from '../../lib/namespace.js';
import { checkedPayload } from '../../lib/nats/connection.js';
import { terminalReplicaSubject, terminalReplicaWildcard, terminalSubject, type TerminalKind } from '../../lib/nats/subjects.js';

/** Output kept per terminal and replayed to a page that reopens it (HAPI: 256 KiB). */
const OUTPUT_BUFFER_CHARS = 256 * 1024;
const OPEN_TIMEOUT_MS = 5_000;

export interface TerminalLimits {
  /** Terminals one page socket, and one session, may have open (HAPI_TERMINAL_MAX_TERMINALS, 4). */
  maxTerminals: number;
  /** A terminal without input or output for this long is closed (HAPI_TERMINAL_IDLE_TIMEOUT_MS, 15 min). */
  idleTimeoutMs: number;
}

type Frame = TerminalFrame;
const frame = (f: Partial<Frame> & Pick<Frame, 'namespace' | 'event'>): Frame => TerminalFrame.fromPartial(f);
const key = (...parts: string[]) => JSON.stringify(parts);

/** A terminal as the replica holding its CLI socket knows it. */
interface CliTerminal {
  ns: Namespace;
  sessionId: string;
  terminalId: string;
  cli: Socket;
  webReplica: string;
  webSocket: string;
  buffer: string;
  idle: NodeJS.Timeout | undefined;
}

/** A terminal as the replica holding its page socket knows it. */
interface WebTerminal {
  ns: Namespace;
  sessionId: string;
  terminalId: string;
  web: Socket;
  cliReplica: string;
  /**
   * Frames that arrived while the open answer was still on its way (the CLI can answer ready
   * before this replica has read the reply): shown once the answer, and its replay, are.
   */
  pending: Frame[] | null;
}

interface SessionSubs {
  sockets: Set<Socket>;
  subs: Subscription[];
}

/** What `openTerminal` answers the page: opened (with output to replay), or refused with HAPI's text. */
export type OpenResult = { ok: true } | { ok: false; message: string };

/**
 * HAPI's web terminal across gateway replicas. The page's `/terminal` socket and the session
 * CLI's `/cli` socket may be on different replicas: a replica holding a CLI socket of a session
 * answers that session's `open` requests (one queue group, so one CLI gets the terminal) and
 * keeps the terminal (its output buffer, its idle timer); frames between the two sides go to
 * the other replica's own subject. Everything is keyed by namespace, and a frame whose payload
 * namespace differs from its subject's is dropped, so no terminal crosses namespaces; only the
 * page socket that opened a terminal may write to it, and only the CLI socket it runs on may
 * answer for it.
 */
export class TerminalRelay {
  /** (ns, session) → this replica's CLI sockets of it, and the subscriptions that serve it. */
  private readonly cliSessions = new Map<string, SessionSubs>();
  /** (ns, session, terminal) → terminals running on this replica's CLI sockets. */
  private readonly cliTerminals = new Map<string, CliTerminal>();
  /** (ns, session) → page sockets per replica watching the agent terminal (known to the CLI side). */
  private readonly viewerCounts = new Map<string, Map<string, number>>();
  /** (ns, terminal) → terminals opened by this replica's page sockets. */
  private readonly webTerminals = new Map<string, WebTerminal>();
  /** (ns, session) → this replica's page sockets watching the agent terminal. */
  private readonly agentViewers = new Map<string, SessionSubs>();
  private readonly inbox: Subscription;

  constructor(
    private readonly nc: NatsConnection,
    private readonly web: IoNamespace,
    private readonly replicaId: string,
    private readonly limits: TerminalLimits,
    private readonly log: Logger,
  ) {
    this.inbox = nc.subscribe(terminalReplicaWildcard(replicaId), {
      callback: (err, msg) => {
        if (err) return;
        const f = checkedPayload(msg.subject, msg.data, (b) => TerminalFrame.decode(b), null, log);
        if (f) this.onReplicaFrame(f);
      },
    });
  }

  close(): void {
    this.inbox.unsubscribe();
    for (const s of [...this.cliSessions.values(), ...this.agentViewers.values()]) for (const sub of s.subs) sub.unsubscribe();
    for (const t of this.cliTerminals.values()) clearTimeout(t.idle);
    this.cliSessions.clear();
    this.cliTerminals.clear();
    this.agentViewers.clear();
  }

  // ---- the CLI side: a /cli socket of a session on this replica ----

  /** A CLI socket of `sessionId` (its own, in its namespace) can run terminals from now on. */
  addCliSocket(ns: Namespace, sessionId: string, cli: Socket): void {
    const k = key(ns, sessionId);
    let entry = this.cliSessions.get(k);
    if (!entry) {
      const serve = (kind: TerminalKind, queue: boolean) =>
        this.nc.subscribe(terminalSubject(ns, sessionId, kind), {
          ...(queue ? { queue: 'terminal' } : {}),
          callback: (err, msg) => {
            if (err) return;
            const f = checkedPayload(msg.subject, msg.data, (b) => TerminalFrame.decode(b), ns, this.log);
            if (!f || f.sessionId !== sessionId) return;
            const answer = this.onSessionFrame(ns, sessionId, f);
            if (msg.reply) msg.respond(TerminalFrame.encode(answer ?? frame({ namespace: ns, event: 'ok' })).finish());
          },
        });
      entry = { sockets: new Set(), subs: [serve('open', true), serve('agent', true), serve('viewers', false)] };
      this.cliSessions.set(k, entry);
    }
    entry.sockets.add(cli);
  }

  /** A CLI socket went away: its terminals end ("CLI disconnected."), its session stops being served here when it was the last. */
  dropCliSocket(cli: Socket): void {
    for (const [k, t] of this.cliTerminals) {
      if (t.cli !== cli) continue;
      this.removeCliTerminal(k, t);
      this.toWeb(t, { event: 'hub-error', message: 'CLI disconnected.' });
    }
    for (const [k, entry] of this.cliSessions) {
      if (!entry.sockets.delete(cli) || entry.sockets.size > 0) continue;
      for (const sub of entry.subs) sub.unsubscribe();
      this.cliSessions.delete(k);
      this.viewerCounts.delete(k);
    }
  }

  /** An event from a CLI socket about one of its terminals; answered only for the terminal that runs on that socket. */
  fromCli(cli: Socket, ns: Namespace, event: 'ready' | 'output' | 'exit' | 'error', p: { sessionId: string; terminalId: string; data?: string; code?: number | null; signal?: string | null; message?: string }): void {
    const k = key(ns, p.sessionId, p.terminalId);
    const t = this.cliTerminals.get(k);
    if (!t || t.cli !== cli) return;
    if (event === 'output') {
      const next = t.buffer + (p.data ?? '');
      t.buffer = next.length > OUTPUT_BUFFER_CHARS ? next.slice(next.length - OUTPUT_BUFFER_CHARS) : next;
    }
    if (event === 'exit' || event === 'error') this.removeCliTerminal(k, t);
    else this.touch(t);
    this.toWeb(t, { event, data: p.data ?? '', code: p.code ?? undefined, signal: p.signal ?? undefined, message: p.message ?? '' });
  }

  /** The agent's own terminal output of a session whose CLI socket this is: to every page watching it, on any replica. */
  agentOutput(ns: Namespace, sessionId: string, terminalId: string, data: string): void {
    this.nc.publish(terminalSubject(ns, sessionId, 'agent-output'), TerminalFrame.encode(frame({ namespace: ns, event: 'agent-output', sessionId, terminalId, data })).finish());
  }

  private onSessionFrame(ns: Namespace, sessionId: string, f: Frame): Frame | null {
    const sockets = [...(this.cliSessions.get(key(ns, sessionId))?.sockets ?? [])].filter((s) => s.connected);
    const cli = sockets[0];
    switch (f.event) {
      case 'open':
        return this.open(ns, sessionId, f, cli);
      case 'agent-refresh':
        cli?.emit('agent-terminal:refresh', { sessionId });
        return frame({ namespace: ns, event: cli ? 'ok' : 'refused' });
      case 'agent-input':
        cli?.emit('agent-terminal:input', { sessionId, data: f.data });
        return null;
      case 'agent-resize':
        cli?.emit('agent-terminal:resize', { sessionId, cols: f.cols, rows: f.rows });
        return null;
      case 'viewers': {
        const k = key(ns, sessionId);
        const counts = this.viewerCounts.get(k) ?? new Map<string, number>();
        this.viewerCounts.set(k, counts);
        if (f.viewers > 0) counts.set(f.webReplica, f.viewers);
        else counts.delete(f.webReplica);
        // HAPI tells the CLI when the last viewer left, so it can stop repainting for nobody.
        if (counts.size === 0) cli?.emit('agent-terminal:idle', { sessionId });
        return null;
      }
      default:
        return null;
    }
  }

  private open(ns: Namespace, sessionId: string, f: Frame, cli: Socket | undefined): Frame {
    const refused = (message: string) => frame({ namespace: ns, event: 'refused', terminalId: f.terminalId, message });
    const k = key(ns, sessionId, f.terminalId);
    const existing = this.cliTerminals.get(k);
    if (!existing) {
      const forSession = [...this.cliTerminals.values()].filter((t) => t.ns === ns && t.sessionId === sessionId).length;
      if (forSession >= this.limits.maxTerminals) return refused(`Too many terminals open for this session (max ${this.limits.maxTerminals}).`);
    }
    const target = existing?.cli.connected ? existing.cli : cli;
    if (!target) return refused('CLI is not connected for this session.');
    // A page reopening a terminal it lost (a reload, another replica) gets what it missed.
    const replay = existing && (existing.webReplica !== f.webReplica || existing.webSocket !== f.webSocket) ? existing.buffer : '';
    const t: CliTerminal = existing ?? { ns, sessionId, terminalId: f.terminalId, cli: target, webReplica: f.webReplica, webSocket: f.webSocket, buffer: '', idle: undefined };
    t.cli = target;
    t.webReplica = f.webReplica;
    t.webSocket = f.webSocket;
    this.cliTerminals.set(k, t);
    target.emit('terminal:open', { sessionId, terminalId: f.terminalId, cols: f.cols, rows: f.rows });
    this.touch(t);
    return frame({ namespace: ns, event: 'opened', sessionId, terminalId: f.terminalId, cliReplica: this.replicaId, data: replay });
  }

  private toCliFrame(f: Frame): void {
    const k = key(f.namespace, f.sessionId, f.terminalId);
    const t = this.cliTerminals.get(k);
    // Only the page socket that opened the terminal drives it.
    if (!t || t.webReplica !== f.webReplica || t.webSocket !== f.webSocket) return;
    if (f.event === 'close') {
      this.removeCliTerminal(k, t);
      if (t.cli.connected) t.cli.emit('terminal:close', { sessionId: t.sessionId, terminalId: t.terminalId });
      return;
    }
    if (!t.cli.connected) {
      this.removeCliTerminal(k, t);
      this.toWeb(t, { event: 'hub-error', message: 'CLI disconnected.' });
      return;
    }
    if (f.event === 'write') t.cli.emit('terminal:write', { sessionId: t.sessionId, terminalId: t.terminalId, data: f.data });
    else if (f.event === 'resize') t.cli.emit('terminal:resize', { sessionId: t.sessionId, terminalId: t.terminalId, cols: f.cols, rows: f.rows });
    else return;
    this.touch(t);
  }

  private touch(t: CliTerminal): void {
    if (this.limits.idleTimeoutMs <= 0) return;
    clearTimeout(t.idle);
    t.idle = setTimeout(() => {
      const k = key(t.ns, t.sessionId, t.terminalId);
      if (this.cliTerminals.get(k) !== t) return;
      this.removeCliTerminal(k, t);
      this.toWeb(t, { event: 'hub-error', message: 'Terminal closed due to inactivity.' });
      if (t.cli.connected) t.cli.emit('terminal:close', { sessionId: t.sessionId, terminalId: t.terminalId });
    }, this.limits.idleTimeoutMs);
    t.idle.unref();
  }

  private removeCliTerminal(k: string, t: CliTerminal): void {
    clearTimeout(t.idle);
    if (this.cliTerminals.get(k) === t) this.cliTerminals.delete(k);
  }

  private toWeb(t: CliTerminal, f: Partial<Frame> & Pick<Frame, 'event'>): void {
    const out = frame({ ...f, namespace: t.ns, sessionId: t.sessionId, terminalId: t.terminalId, webReplica: t.webReplica, webSocket: t.webSocket, cliReplica: this.replicaId });
    this.nc.publish(terminalReplicaSubject(t.ns, t.webReplica), TerminalFrame.encode(out).finish());
  }

  // ---- the page side: a /terminal socket on this replica ----

  /** How many terminals this page socket has open. */
  countForSocket(web: Socket): number {
    let n = 0;
    for (const t of this.webTerminals.values()) if (t.web === web) n += 1;
    return n;
  }

  /** Whether this page socket already has `terminalId` open for that session (a reopen is not counted against the limit). */
  hasTerminal(web: Socket, ns: Namespace, sessionId: string, terminalId: string): boolean {
    const t = this.webTerminals.get(key(ns, terminalId));
    return t !== undefined && t.web === web && t.sessionId === sessionId;
  }

  /** `terminal:create` of a page socket: asks a replica holding the session's CLI to open it. */
  async openTerminal(web: Socket, ns: Namespace, p: { sessionId: string; terminalId: string; cols: number; rows: number }): Promise<OpenResult> {
    const req = frame({ namespace: ns, event: 'open', sessionId: p.sessionId, terminalId: p.terminalId, cols: p.cols, rows: p.rows, webReplica: this.replicaId, webSocket: web.id });
    const k = key(ns, p.terminalId);
    const entry: WebTerminal = { ns, sessionId: p.sessionId, terminalId: p.terminalId, web, cliReplica: '', pending: [] };
    this.webTerminals.set(k, entry);
    const fail = (message: string): OpenResult => {
      if (this.webTerminals.get(k) === entry) this.webTerminals.delete(k);
      return { ok: false, message };
    };
    let answer: Frame;
    try {
      const msg = await this.nc.request(terminalSubject(ns, p.sessionId, 'open'), TerminalFrame.encode(req).finish(), { timeout: OPEN_TIMEOUT_MS });
      const decoded = checkedPayload(terminalSubject(ns, p.sessionId, 'open'), msg.data, (b) => TerminalFrame.decode(b), ns, this.log);
      if (!decoded) return fail('CLI is not connected for this session.');
      answer = decoded;
    } catch (err) {
      if (!(err instanceof RequestError && err.isNoResponders())) this.log.warn({ err, sessionId: p.sessionId }, 'terminal open failed');
      return fail('CLI is not connected for this session.');
    }
    if (answer.event !== 'opened') return fail(answer.message || 'CLI is not connected for this session.');
    if (this.webTerminals.get(k) !== entry) return { ok: true };
    entry.cliReplica = answer.cliReplica;
    const pending = entry.pending ?? [];
    entry.pending = null;
    if (answer.data) web.emit('terminal:output', { terminalId: p.terminalId, data: answer.data });
    for (const f of pending) this.showOnPage(k, entry, f);
    return { ok: true };
  }

  /** `terminal:write|resize|close` of a page socket: only for a terminal that socket opened. */
  fromWeb(web: Socket, ns: Namespace, event: 'write' | 'resize' | 'close', p: { terminalId: string; data?: string; cols?: number; rows?: number }): void {
    const k = key(ns, p.terminalId);
    const t = this.webTerminals.get(k);
    if (!t || t.web !== web) return;
    if (event === 'close') this.webTerminals.delete(k);
    const out = frame({ namespace: ns, event, sessionId: t.sessionId, terminalId: t.terminalId, data: p.data ?? '', cols: p.cols ?? 0, rows: p.rows ?? 0, webReplica: this.replicaId, webSocket: web.id });
    this.nc.publish(terminalReplicaSubject(ns, t.cliReplica), TerminalFrame.encode(out).finish());
  }

  /** `agent-terminal:subscribe`: this page socket watches the session's agent terminal; the CLI is asked to repaint. */
  async subscribeAgent(web: Socket, ns: Namespace, sessionId: string): Promise<void> {
    const k = key(ns, sessionId);
    let entry = this.agentViewers.get(k);
    if (!entry) {
      const sub = this.nc.subscribe(terminalSubject(ns, sessionId, 'agent-output'), {
        callback: (err, msg) => {
          if (err) return;
          const f = checkedPayload(msg.subject, msg.data, (b) => TerminalFrame.decode(b), ns, this.log);
          if (!f || f.sessionId !== sessionId) return;
          for (const s of this.agentViewers.get(k)?.sockets ?? []) s.emit('agent-terminal:output', { sessionId, terminalId: f.terminalId, data: f.data });
        },
      });
      entry = { sockets: new Set(), subs: [sub] };
      this.agentViewers.set(k, entry);
    }
    entry.sockets.add(web);
    this.publishViewers(ns, sessionId, entry.sockets.size);
    // The subscription must reach the server before the CLI repaints, or the repaint is lost.
    await this.nc.flush();
    await this.nc
      .request(terminalSubject(ns, sessionId, 'agent'), TerminalFrame.encode(frame({ namespace: ns, event: 'agent-refresh', sessionId })).finish(), { timeout: OPEN_TIMEOUT_MS })
      .catch(() => undefined);
  }

  /** `agent-terminal:unsubscribe` (or the page socket left): the CLI is told when nobody watches any more. */
  unsubscribeAgent(web: Socket, ns: Namespace, sessionId: string): void {
    const k = key(ns, sessionId);
    const entry = this.agentViewers.get(k);
    if (!entry?.sockets.delete(web)) return;
    this.publishViewers(ns, sessionId, entry.sockets.size);
    if (entry.sockets.size > 0) return;
    for (const sub of entry.subs) sub.unsubscribe();
    this.agentViewers.delete(k);
  }

  /** `agent-terminal:input|resize` of a page socket: to one CLI socket of the session. */
  toAgent(ns: Namespace, sessionId: string, event: 'agent-input' | 'agent-resize', p: { data?: string; cols?: number; rows?: number }): void {
    this.nc.publish(terminalSubject(ns, sessionId, 'agent'), TerminalFrame.encode(frame({ namespace: ns, event, sessionId, data: p.data ?? '', cols: p.cols ?? 0, rows: p.rows ?? 0 })).finish());
  }

  /** A page socket went away: its terminals stay open on the CLI side for a reopen; its agent views end. */
  dropWebSocket(web: Socket): void {
    for (const [k, t] of this.webTerminals) if (t.web === web) this.webTerminals.delete(k);
    for (const [k, entry] of [...this.agentViewers]) {
      if (!entry.sockets.has(web)) continue;
      const [ns, sessionId] = JSON.parse(k) as [string, string];
      this.unsubscribeAgent(web, parseNamespace(ns), sessionId);
    }
  }

  private publishViewers(ns: Namespace, sessionId: string, viewers: number): void {
    this.nc.publish(terminalSubject(ns, sessionId, 'viewers'), TerminalFrame.encode(frame({ namespace: ns, event: 'viewers', sessionId, webReplica: this.replicaId, viewers })).finish());
  }

  /** A frame addressed to this replica: for one of its CLI terminals, or for one of its page sockets. */
  private onReplicaFrame(f: Frame): void {
    if (f.event === 'write' || f.event === 'resize' || f.event === 'close') return this.toCliFrame(f);
    const k = key(f.namespace, f.terminalId);
    const t = this.webTerminals.get(k);
    if (!t || t.web.id !== f.webSocket || t.sessionId !== f.sessionId) return;
    if (t.pending) {
      t.pending.push(f);
      return;
    }
    this.showOnPage(k, t, f);
  }

  /** A CLI frame for a terminal of this replica's page socket, as HAPI's `terminal:*` event. */
  private showOnPage(k: string, t: WebTerminal, f: Frame): void {
    if (t.cliReplica !== f.cliReplica) return;
    const { sessionId, terminalId } = t;
    switch (f.event) {
      case 'ready':
        t.web.emit('terminal:ready', { sessionId, terminalId });
        return;
      case 'output':
        t.web.emit('terminal:output', { sessionId, terminalId, data: f.data });
        return;
      case 'exit':
        this.webTerminals.delete(k);
        t.web.emit('terminal:exit', { sessionId, terminalId, code: f.code ?? null, signal: f.signal ?? null });
        return;
      case 'error':
        this.webTerminals.delete(k);
        t.web.emit('terminal:error', { sessionId, terminalId, message: f.message });
        return;
      case 'hub-error':
        this.webTerminals.delete(k);
        t.web.emit('terminal:error', { terminalId, message: f.message });
        return;
      default:
        return;
    }
  }
}
