import { randomBytes, randomUUID } from 'node:crypto';
import { http, type HttpResult } from '../helpers/hub-harness.js';
import { waitFor } from '../helpers/ports.js';
import { openSse, type SseClient } from '../helpers/sse-client.js';
import { SESSION_RPC_METHODS } from './hapi-rpc-methods.js';
import { StandIn } from './stand-ins.js';
import type { SurfaceHub } from './surface-hub.js';

/**
 * Who makes a request: two teammates and the hub owner (HAPI's `default` namespace). `admin` is
 * whoever holds hub-wide data: HAPI's owner, teamhub's admin token (its namespaces are peers).
 */
export type Who = 'alice' | 'bob' | 'owner' | 'admin';
/** How a route authenticates: the raw access token (`/cli`), a web JWT (`/api`), or nothing. */
export type Plane = 'cli' | 'web' | 'none';

export interface Call {
  who?: Who;
  params?: Record<string, string>;
  query?: Record<string, string>;
  body?: unknown;
  rawBody?: string;
  /** A multipart body (sent as is, with fetch's own boundary). */
  form?: FormData;
  headers?: Record<string, string>;
}

export interface MachineFixture {
  id: string;
  who: Who;
  standIn: StandIn;
  machine: any;
}

export interface SessionFixture {
  id: string;
  who: Who;
  /** The tag it was created with (the CLI's key for create-or-load). */
  tag: string;
  /** The CLI stand-in holding the session (absent for a session nobody runs). */
  standIn?: StandIn;
  session: any;
  machineId?: string;
}

export interface SessionOptions {
  who?: Who;
  flavor?: string;
  /** Merged over the default metadata (path, host, machineId, flavor). */
  metadata?: Record<string, unknown>;
  agentState?: Record<string, unknown> | null;
  /** A CLI stand-in keeps it active (default true). */
  live?: boolean;
  /** Key of the machine fixture it runs on (default `main` of the same person). */
  machine?: string;
  model?: string;
  effort?: string;
  /** Heartbeat extras (thinking, permissionMode…). */
  alive?: Record<string, unknown>;
}

/** The project directory every fixture session works in (a made-up path; the stand-ins never touch disk). */
export const PROJECT_DIR = '/srv/surface/project';
export const WORKSPACE_ROOT = '/srv/surface';

/** Machine metadata a current runner registers: the capabilities HAPI checks before spawn and restart. */
export function runnerMetadata(host: string): Record<string, unknown> {
  return {
    host,
    platform: 'linux',
    happyCliVersion: '0.30.7',
    homeDir: '/srv/surface/home',
    workspaceRoots: [WORKSPACE_ROOT],
    capabilities: ['agent-availability', 'cursor-chat-store-status', 'stop-runner'],
    supervisedRestart: true,
  };
}

/**
 * The fixtures the surface test needs, made on first use and kept by key: machines with a
 * runner stand-in, sessions with a CLI stand-in, web JWTs for alice, bob and the owner.
 */
export class World {
  private readonly machines = new Map<string, Promise<MachineFixture>>();
  private readonly sessions = new Map<string, Promise<SessionFixture>>();
  private readonly extraSockets: StandIn[] = [];
  private readonly jwts = new Map<Who, string>();
  private readonly memo = new Map<string, Promise<unknown>>();
  private readonly spawnedSessions = new Map<string, StandIn>();
  private readonly streams: SseClient[] = [];

  private constructor(readonly hub: SurfaceHub) {}

  static async create(hub: SurfaceHub): Promise<World> {
    const w = new World(hub);
    for (const who of ['alice', 'bob', 'owner'] as const) {
      const r = await http(hub.url, 'POST', '/api/auth', { body: { accessToken: w.cliToken(who) } });
      if (r.status !== 200) throw new Error(`POST /api/auth for ${who}: ${r.status} ${r.text}`);
      w.jwts.set(who, r.json.token);
    }
    return w;
  }

  /** The access token: `<base>` for the owner, `<base>:<name>` for a teammate. */
  cliToken(who: Who): string {
    return who === 'owner' || who === 'admin' ? this.hub.baseToken : `${this.hub.baseToken}:${who}`;
  }

  jwt(who: Who): string {
    if (who === 'admin') {
      if (this.hub.kind === 'hapi') return this.jwt('owner');
      if (!this.hub.adminToken) throw new Error('no admin token for this hub (SURFACE_HUB_ADMIN_TOKEN)');
      return this.hub.adminToken;
    }
    const t = this.jwts.get(who);
    if (!t) throw new Error(`no JWT for ${who}`);
    return t;
  }

  /** One request on a plane, as `who`. */
  request(plane: Plane, method: string, path: string, call: Call = {}): Promise<HttpResult> {
    const who = call.who ?? 'alice';
    const token = plane === 'cli' ? this.cliToken(who) : plane === 'web' ? this.jwt(who) : undefined;
    const query = call.query && Object.keys(call.query).length ? `?${new URLSearchParams(call.query)}` : '';
    if (call.form) return this.multipart(method, `${path}${query}`, token, call.form);
    return http(this.hub.url, method, `${path}${query}`, { token, body: call.body, rawBody: call.rawBody, headers: call.headers, timeoutMs: 20_000 });
  }

  private async multipart(method: string, pathAndQuery: string, token: string | undefined, form: FormData): Promise<HttpResult> {
    const res = await fetch(`${this.hub.url}${pathAndQuery}`, { method, body: form, headers: token ? { authorization: `Bearer ${token}` } : {}, signal: AbortSignal.timeout(20_000) });
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, text, json };
  }

  /** A machine registered by `who` and brought online by a runner stand-in that registers every machine RPC. */
  machine(key = 'main', who: Who = 'alice', metadata?: Record<string, unknown>): Promise<MachineFixture> {
    const k = `${who}/${key}`;
    let m = this.machines.get(k);
    if (!m) {
      m = this.makeMachine(who, metadata ?? runnerMetadata(`surface-${who}-${key}`));
      this.machines.set(k, m);
    }
    return m;
  }

  /** A machine registered through `POST /cli/machines` that no runner holds (offline). */
  registeredMachine(key: string, who: Who = 'alice'): Promise<{ id: string; machine: any }> {
    return this.once(`registered-machine:${who}/${key}`, async () => {
      const id = `surface-${who}-${randomUUID()}`;
      const r = await this.request('cli', 'POST', '/cli/machines', { who, body: { id, metadata: runnerMetadata(`surface-${who}-${key}`), runnerState: { status: 'offline' } } });
      if (r.status !== 200) throw new Error(`POST /cli/machines ${r.status} ${r.text}`);
      return { id, machine: r.json.machine };
    });
  }

  /** A session of `who` created through `POST /cli/sessions`; with a CLI stand-in it is active. */
  session(key: string, opts: SessionOptions = {}): Promise<SessionFixture> {
    const who = opts.who ?? 'alice';
    const k = `${who}/${key}`;
    let s = this.sessions.get(k);
    if (!s) {
      s = this.makeSession(who, opts);
      this.sessions.set(k, s);
    }
    return s;
  }

  /** An SSE stream of `who` kept open until the world closes (`query` as for GET /api/events). */
  async stream(who: Who, query: Record<string, string> = { all: 'true' }): Promise<{ client: SseClient; subscriptionId: string }> {
    const client = await openSse(this.hub.url, `/api/events?${new URLSearchParams(query)}`, { token: this.jwt(who) });
    this.streams.push(client);
    if (client.status !== 200) throw new Error(`GET /api/events ${client.status}`);
    const first = await client.waitFrame((f) => f.data?.type === 'connection-changed');
    return { client, subscriptionId: first.data.data.subscriptionId };
  }

  /** Runs `make` once per world and key (a prerequisite several routes share, e.g. a reservation). */
  once<T>(key: string, make: () => Promise<T>): Promise<T> {
    let p = this.memo.get(key) as Promise<T> | undefined;
    if (!p) {
      p = make();
      this.memo.set(key, p);
    }
    return p;
  }

  /** Another CLI socket (e.g. bob's) that is closed with the world; by default it registers nothing and sends one heartbeat. */
  async extraStandIn(who: Who, scope: 'session' | 'machine', id: string, opts: { methods?: string[]; heartbeatMs?: number } = {}): Promise<StandIn> {
    const o = { methods: opts.methods ?? [], heartbeatMs: opts.heartbeatMs ?? 0 };
    const s = scope === 'session' ? await StandIn.session(this.hub.url, this.cliToken(who), id, o) : await StandIn.machine(this.hub.url, this.cliToken(who), id, o);
    this.extraSockets.push(s);
    return s;
  }

  /** Every stand-in socket the world opened (fixtures, spawned, extra). */
  async allStandIns(): Promise<StandIn[]> {
    const fixtures = await Promise.allSettled([...this.machines.values(), ...this.sessions.values()]);
    const own = fixtures.flatMap((r) => (r.status === 'fulfilled' && r.value.standIn ? [r.value.standIn] : []));
    return [...own, ...this.extraSockets];
  }

  /** The ids of `who`'s fixture sessions and machines (including sessions a runner stand-in spawned). */
  async fixtureIds(who: Who): Promise<string[]> {
    const fixtures = await Promise.allSettled([...this.machines.values(), ...this.sessions.values()]);
    const ids = fixtures.flatMap((r) => (r.status === 'fulfilled' && r.value.who === who ? [r.value.id] : []));
    if (who === 'alice') ids.push(...this.spawnedSessions.keys());
    return ids;
  }

  /** The CLI stand-in a runner stand-in started for `sessionId` (spawn with existingSessionId). */
  spawned(sessionId: string): StandIn | undefined {
    return this.spawnedSessions.get(sessionId);
  }

  /** Posts a web message with a fresh localId (queued until the CLI reports it consumed); returns its ids. */
  async postMessage(session: SessionFixture, extra: Record<string, unknown> = {}): Promise<{ localId: string; messageId: string }> {
    const localId = `local-${randomBytes(6).toString('hex')}`;
    const r = await this.request('web', 'POST', `/api/sessions/${session.id}/messages`, { who: session.who, body: { text: 'hello from the surface test', localId, ...extra } });
    if (r.status !== 200) throw new Error(`POST messages ${r.status} ${r.text}`);
    const messageId = await waitFor(async () => {
      const page = await this.request('web', 'GET', `/api/sessions/${session.id}/messages`, { who: session.who, query: { limit: '200' } });
      return (page.json?.messages as Array<{ id: string; localId: string | null }> | undefined)?.find((m) => m.localId === localId)?.id ?? null;
    }, { what: `message ${localId} listed` });
    return { localId, messageId };
  }

  /** Posts a message and has the CLI stand-in report it consumed (invokedAt set), as after a turn starts. */
  async invokedMessage(session: SessionFixture): Promise<{ localId: string; messageId: string }> {
    const posted = await this.postMessage(session);
    // The CLI reports the message taken (ending the hub's "queued, so thinking" grace) and, once
    // the turn is over, heartbeats with thinking false.
    session.standIn!.emit('messages-consumed', { sid: session.id, localIds: [posted.localId], clearQueuedThinkingGrace: true });
    await waitFor(async () => {
      const r = await this.request('web', 'POST', `/api/sessions/${session.id}/messages/queued-state`, { who: session.who, body: { localIds: [posted.localId] } });
      return (r.json?.invokedLocalMessages as unknown[] | undefined)?.length === 1;
    }, { what: `message ${posted.localId} invoked` });
    await waitFor(async () => {
      session.standIn!.alive({ thinking: false });
      const r = await this.request('web', 'GET', `/api/sessions/${session.id}`, { who: session.who });
      return r.json?.session?.thinking === false;
    }, { what: `session ${session.id} idle`, intervalMs: 200 });
    return posted;
  }

  /** Writes `agentState.requests[<id>]` as the CLI does for a permission prompt; returns the request id. */
  async permissionRequest(session: SessionFixture, tool = 'Bash'): Promise<string> {
    const requestId = `req-${randomBytes(6).toString('hex')}`;
    const current = await this.request('cli', 'GET', `/cli/sessions/${session.id}`, { who: session.who });
    const version = current.json.session.agentStateVersion as number;
    const state = { ...(current.json.session.agentState ?? {}), requests: { ...(current.json.session.agentState?.requests ?? {}), [requestId]: { tool, arguments: { command: 'ls' }, createdAt: Date.now() } } };
    const ack = await session.standIn!.ack<{ result: string }>('update-state', { sid: session.id, expectedVersion: version, agentState: state });
    if (ack.result !== 'success') throw new Error(`update-state: ${JSON.stringify(ack)}`);
    return requestId;
  }

  /** Waits until the web API shows the session `active`. */
  waitActive(session: SessionFixture, active = true): Promise<unknown> {
    return waitFor(async () => {
      const r = await this.request('web', 'GET', `/api/sessions/${session.id}`, { who: session.who });
      return r.json?.session?.active === active;
    }, { what: `session ${session.id} active=${active}`, timeoutMs: 10_000 });
  }

  async close(): Promise<void> {
    const all = await Promise.allSettled([...this.machines.values(), ...this.sessions.values()]);
    for (const r of all) if (r.status === 'fulfilled') r.value.standIn?.close();
    for (const s of this.extraSockets) s.close();
    for (const c of this.streams) c.close();
  }

  private async makeMachine(who: Who, metadata: Record<string, unknown>): Promise<MachineFixture> {
    const id = `surface-${who}-${randomUUID()}`;
    const r = await this.request('cli', 'POST', '/cli/machines', { who, body: { id, metadata, runnerState: { status: 'offline' } } });
    if (r.status !== 200) throw new Error(`POST /cli/machines ${r.status} ${r.text}`);
    const standIn = await StandIn.machine(this.hub.url, this.cliToken(who), id);
    // Like the real runner: a spawn for an existing session id starts a CLI for that id, which
    // connects and sends session-alive, and the spawn answers that id.
    standIn.onRpc('spawn-happy-session', async (p: { existingSessionId?: string }) => {
      if (typeof p?.existingSessionId !== 'string') return undefined;
      const cli = await this.extraStandIn(who, 'session', p.existingSessionId, { methods: SESSION_RPC_METHODS.map((m) => m.method), heartbeatMs: 2000 });
      this.spawnedSessions.set(p.existingSessionId, cli);
      return { type: 'success', sessionId: p.existingSessionId };
    });
    const state = await standIn.runnerRunning(r.json.machine.runnerStateVersion);
    if (state.result !== 'success') throw new Error(`machine-update-state: ${JSON.stringify(state)}`);
    await waitFor(async () => {
      const list = await this.request('web', 'GET', '/api/machines', { who });
      return (list.json?.machines as Array<{ id: string }> | undefined)?.some((m) => m.id === id);
    }, { what: `machine ${id} online` });
    return { id, who, standIn, machine: r.json.machine };
  }

  private async makeSession(who: Who, opts: SessionOptions): Promise<SessionFixture> {
    const machine = opts.machine === 'none' ? undefined : await this.machine(opts.machine ?? 'main', who);
    const metadata = {
      path: PROJECT_DIR,
      host: machine ? `surface-${who}-${opts.machine ?? 'main'}` : 'surface-host',
      ...(machine ? { machineId: machine.id } : {}),
      flavor: opts.flavor ?? 'claude',
      startedBy: 'runner',
      lifecycleState: 'running',
      ...opts.metadata,
    };
    const tag = randomUUID();
    const body: Record<string, unknown> = { tag, metadata, agentState: opts.agentState === undefined ? { controlledByUser: false } : opts.agentState };
    if (opts.model) body.model = opts.model;
    if (opts.effort) body.effort = opts.effort;
    const r = await this.request('cli', 'POST', '/cli/sessions', { who, body });
    if (r.status !== 200) throw new Error(`POST /cli/sessions ${r.status} ${r.text}`);
    const id = r.json.session.id as string;
    const fixture: SessionFixture = { id, who, tag, session: r.json.session, machineId: machine?.id };
    if (opts.live !== false) {
      fixture.standIn = await StandIn.session(this.hub.url, this.cliToken(who), id, { alive: opts.alive });
      await this.waitActive(fixture);
    }
    return fixture;
  }
}
