import { io, type Socket } from 'socket.io-client';
import { waitFor } from '../helpers/ports.js';
import { MACHINE_RPC_METHODS, SESSION_RPC_METHODS, type RpcMethodSpec, type RpcScope } from './hapi-rpc-methods.js';

/** One `rpc-request` a stand-in received. */
export interface ReceivedRpc {
  /** The method name after `<id>:`. */
  method: string;
  /** The full name the hub sent (`<id>:<method>`). */
  fullMethod: string;
  params: unknown;
}

/** Answers one RPC; return undefined to fall back to the table's canned ack. */
export type RpcAnswer = (params: any, call: ReceivedRpc) => unknown | Promise<unknown>;

export interface StandInOptions {
  /** Methods to register (default: every method of the scope, from hapi-rpc-methods.ts). */
  methods?: string[];
  /** Heartbeat interval in ms (session-alive / machine-alive); 0 sends one and stops. */
  heartbeatMs?: number;
  /** Extra fields for each session-alive (thinking, mode, permissionMode…). */
  alive?: Record<string, unknown>;
}

/**
 * A socket.io-client socket that connects to `/cli` the way the real CLI (session scope) or
 * runner (machine scope) does, registers RPC methods, answers every `rpc-request` with a
 * schema-valid ack from the table (or an override), records what it received, and keeps the
 * session or machine alive with heartbeats.
 */
export class StandIn {
  readonly rpcs: ReceivedRpc[] = [];
  /** `update` events received (new-message, update-session, cancel-queued-message…). */
  readonly updates: Array<{ body: { t: string; [k: string]: unknown }; [k: string]: unknown }> = [];
  /** Every other event received: [name, first arg]. */
  readonly events: Array<{ event: string; arg: unknown }> = [];
  private readonly answers = new Map<string, RpcAnswer>();
  private heartbeat: NodeJS.Timeout | undefined;
  /** How the stand-in acks `update {t:"cancel-queued-message"}` (the CLI removes a queued message it holds). */
  cancelAck: Record<string, unknown> = { removed: true };
  /** How it acks `update {t:"retry-queued-message"}`. */
  retryAck: Record<string, unknown> = { accepted: true };

  private constructor(
    readonly socket: Socket,
    readonly scope: RpcScope,
    readonly id: string,
    private readonly specs: RpcMethodSpec[],
  ) {
    socket.on('rpc-request', (req: { method: string; params: string }, ack: (answer: string) => void) => void this.answer(req, ack));
    socket.on('update', (update: StandIn['updates'][number], ack?: (a: unknown) => void) => {
      this.updates.push(update);
      if (typeof ack !== 'function') return;
      if (update.body?.t === 'cancel-queued-message') ack(this.cancelAck);
      else if (update.body?.t === 'retry-queued-message') ack(this.retryAck);
      else ack({});
    });
    socket.onAny((event: string, arg: unknown) => {
      if (event !== 'rpc-request' && event !== 'update') this.events.push({ event, arg });
    });
  }

  /** A session-scoped socket for `sessionId` (the CLI running that session). */
  static session(url: string, token: string, sessionId: string, opts: StandInOptions = {}): Promise<StandIn> {
    return StandIn.connect(url, token, 'session', sessionId, opts);
  }

  /** A machine-scoped socket for `machineId` (the runner). Call `runnerRunning` to bring the machine online. */
  static machine(url: string, token: string, machineId: string, opts: StandInOptions = {}): Promise<StandIn> {
    return StandIn.connect(url, token, 'machine', machineId, opts);
  }

  private static async connect(url: string, token: string, scope: RpcScope, id: string, opts: StandInOptions): Promise<StandIn> {
    const auth = scope === 'session' ? { token, clientType: 'session-scoped', sessionId: id } : { token, clientType: 'machine-scoped', machineId: id };
    const socket = io(`${url}/cli`, { path: '/socket.io/', transports: ['websocket'], auth, reconnection: false, forceNew: true });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', (err) => {
        socket.close();
        reject(err);
      });
    });
    const all = scope === 'session' ? SESSION_RPC_METHODS : MACHINE_RPC_METHODS;
    const names = opts.methods ?? all.map((m) => m.method);
    const standIn = new StandIn(socket, scope, id, all);
    for (const name of names) socket.emit('rpc-register', { method: `${id}:${name}` });
    standIn.startHeartbeat(opts);
    return standIn;
  }

  /** Answers `method` with `answer` from now on (undefined from `answer` means the canned ack). */
  onRpc(method: string, answer: RpcAnswer): void {
    this.answers.set(method, answer);
  }

  /** Registers a method name as is (for example another session's id: what HAPI's global registry allows). */
  registerRaw(fullMethod: string): void {
    this.socket.emit('rpc-register', { method: fullMethod });
  }

  /** Waits for an RPC of `method` (already received ones count) and returns it. */
  waitRpc(method: string, pred: (r: ReceivedRpc) => boolean = () => true, timeoutMs = 5000): Promise<ReceivedRpc> {
    return waitFor(() => this.rpcs.find((r) => r.method === method && pred(r)) ?? null, { timeoutMs, what: `rpc ${method} on ${this.scope} stand-in` });
  }

  /** Waits for an `update` of body type `t`. */
  waitUpdate(t: string, pred: (u: StandIn['updates'][number]) => boolean = () => true, timeoutMs = 5000) {
    return waitFor(() => this.updates.find((u) => u.body?.t === t && pred(u)) ?? null, { timeoutMs, what: `update ${t}` });
  }

  /** Emits `event` and waits for its ack. */
  ack<T = any>(event: string, payload: unknown, timeoutMs = 5000): Promise<T> {
    return this.socket.timeout(timeoutMs).emitWithAck(event, payload) as Promise<T>;
  }

  emit(event: string, payload: unknown): void {
    this.socket.emit(event, payload);
  }

  /** Runner start-up: reports runner state `running` (marks the machine active) and sends machine-alive. */
  async runnerRunning(expectedVersion: number): Promise<{ result: string; version?: number }> {
    const answer = await this.ack<{ result: string; version?: number }>('machine-update-state', {
      machineId: this.id,
      expectedVersion,
      runnerState: { status: 'running', pid: process.pid, startedAt: Date.now() },
    });
    this.alive();
    return answer;
  }

  /** One heartbeat now. */
  alive(extra: Record<string, unknown> = {}): void {
    if (this.scope === 'session') this.socket.emit('session-alive', { sid: this.id, time: Date.now(), thinking: false, mode: 'remote', ...extra });
    else this.socket.emit('machine-alive', { machineId: this.id, time: Date.now() });
  }

  /** Ends the session the way the CLI does on exit. */
  end(reason?: string): void {
    this.stopHeartbeat();
    this.socket.emit('session-end', { sid: this.id, time: Date.now(), ...(reason ? { reason } : {}) });
  }

  stopHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }

  close(): void {
    this.stopHeartbeat();
    this.socket.close();
  }

  private startHeartbeat(opts: StandInOptions): void {
    const extra = opts.alive ?? {};
    if (this.scope === 'session') this.alive(extra);
    const every = opts.heartbeatMs ?? (this.scope === 'session' ? 2000 : 10_000);
    if (every > 0) this.heartbeat = setInterval(() => this.alive(this.scope === 'session' ? extra : {}), every);
  }

  private async answer(req: { method: string; params: string }, ack: (answer: string) => void): Promise<void> {
    const method = req.method.startsWith(`${this.id}:`) ? req.method.slice(this.id.length + 1) : req.method.slice(req.method.indexOf(':') + 1);
    let params: unknown = null;
    try {
      params = JSON.parse(req.params);
    } catch {
      params = req.params;
    }
    const call: ReceivedRpc = { method, fullMethod: req.method, params };
    this.rpcs.push(call);
    try {
      const override = this.answers.get(method);
      const custom = override ? await override(params, call) : undefined;
      const canned = this.specs.find((s) => s.method === method)?.ack(params);
      ack(JSON.stringify(custom !== undefined ? custom : canned ?? { error: 'Method not found' }));
    } catch (err) {
      // The CLI turns a thrown handler error into {"error": message}.
      ack(JSON.stringify({ error: err instanceof Error ? err.message : String(err) }));
    }
  }
}
