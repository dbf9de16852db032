import type { Socket } from 'socket.io';
import { z } from 'zod';
import { namespaceContext } from '../../lib/context.js';
import { isAppError } from '../../lib/errors.js';
import type { GatewayDeps } from '../deps.js';
import type { Live } from '../live/index.js';
import type { SocketContext } from '../live/socket-context.js';
import type { TerminalSocketData } from '../live/terminal-namespace.js';
import type { TerminalRelay } from '../live/terminal-relay.js';

/*
 * HAPI's web terminal: the page's `/terminal` socket events (terminal:create|write|resize|close,
 * agent-terminal:subscribe|unsubscribe|input|resize) and the CLI's answers on `/cli`
 * (terminal:ready|output|exit|error, agent-terminal:output|reset), relayed by the terminal relay
 * across replicas. Payloads failing HAPI's schemas are dropped without an answer, as in HAPI.
 */

const ids = { sessionId: z.string().min(1), terminalId: z.string().min(1) };
const size = { cols: z.number().int().positive(), rows: z.number().int().positive() };
const Create = z.object({ ...ids, ...size });
const Write = z.object({ terminalId: z.string().min(1), data: z.string() });
const Resize = z.object({ terminalId: z.string().min(1), ...size });
const Close = z.object({ terminalId: z.string().min(1) });
const AgentSession = z.object({ sessionId: z.string().min(1) });
const AgentResize = z.object({ sessionId: z.string().min(1), ...size });
const AgentInput = z.object({ sessionId: z.string().min(1), data: z.string().min(1) });
const Ready = z.object(ids);
const Output = z.object({ ...ids, data: z.string() });
const Exit = z.object({ ...ids, code: z.number().int().nullable(), signal: z.string().nullable() });
const CliError = z.object({ ...ids, message: z.string() });

/** How long a page socket's "this session is active in my namespace" answer is reused (keystrokes would otherwise each cost a lookup). */
const ACCESS_CACHE_MS = 5_000;
const UNAVAILABLE = 'Session is inactive or unavailable.';

/** The CLI side: a `/cli` socket's terminal answers, for its own session only. */
function attachCliTerminalHandlers(ctx: SocketContext, relay: TerminalRelay): void {
  const { socket, namespace: ns } = ctx;
  const handshakeSession = (socket.handshake.auth as Record<string, unknown> | undefined)?.sessionId;
  let serving = false;
  const serve = () => {
    if (serving || !ctx.sessionId || !socket.connected) return;
    serving = true;
    relay.addCliSocket(ns, ctx.sessionId, socket);
  };
  serve();
  // A CLI may connect before its session exists (it registers right after); it is served once
  // its handshake session is found in its namespace.
  socket.on('session-alive', () => {
    if (serving || typeof handshakeSession !== 'string') return;
    void ctx.adopt('session', handshakeSession).then((own) => own && serve(), () => undefined);
  });
  const on = <S extends z.ZodType>(event: string, schema: S, handle: (p: z.output<S>) => void) =>
    socket.on(event, (data: unknown) => {
      const parsed = schema.safeParse(data);
      if (parsed.success) handle(parsed.data);
    });
  on('terminal:ready', Ready, (p) => relay.fromCli(socket, ns, 'ready', p));
  on('terminal:output', Output, (p) => relay.fromCli(socket, ns, 'output', p));
  on('terminal:exit', Exit, (p) => relay.fromCli(socket, ns, 'exit', p));
  on('terminal:error', CliError, (p) => relay.fromCli(socket, ns, 'error', p));
  // The agent's own terminal: only from a socket of that session (HAPI: a socket in its room).
  on('agent-terminal:output', Output, (p) => {
    if (p.sessionId === ctx.sessionId) relay.agentOutput(ns, p.sessionId, p.terminalId, p.data);
  });
  // HAPI clears its replay buffer here; teamhub keeps none for the agent view (the CLI repaints).
  on('agent-terminal:reset', AgentSession, () => undefined);
  // When the agent's session ends, pages watching its terminal are told, as HAPI does.
  socket.on('session-end', (data: unknown) => {
    const sid = (data as { sid?: unknown } | null)?.sid;
    if (typeof sid === 'string' && sid === ctx.sessionId) relay.agentOutput(ns, sid, 'agent', '\r\n[Session terminated]\r\n');
  });
  socket.on('disconnect', () => relay.dropCliSocket(socket));
}

/** The page side: one `/terminal` socket. Events are handled one after another, so a write right after create reaches the terminal it opened. */
function attachWebTerminalHandlers(socket: Socket, deps: GatewayDeps, relay: TerminalRelay): void {
  const ns = (socket.data as TerminalSocketData).namespace;
  const log = deps.log.child({ socket: socket.id, ns });
  let events = 0;
  const known = new Map<string, number>();
  /** HAPI's rule: the session exists in the socket's namespace and is active. */
  const authorized = async (sessionId: string): Promise<boolean> => {
    const until = known.get(sessionId);
    if (until !== undefined && until > Date.now()) return true;
    try {
      const res = await deps.clients.session.call('getSession', { id: sessionId }, namespaceContext(log, ns, `${socket.id}-${++events}`));
      if (res.session?.active !== true) return false;
      if (known.size > 100) known.clear();
      known.set(sessionId, Date.now() + ACCESS_CACHE_MS);
      return true;
    } catch (err) {
      if (!isAppError(err, 'not_found') && !isAppError(err, 'permission_denied') && !isAppError(err, 'invalid_argument')) log.warn({ err, sessionId }, 'terminal session check failed');
      return false;
    }
  };
  let chain = Promise.resolve();
  const on = <S extends z.ZodType>(event: string, schema: S, handle: (p: z.output<S>) => Promise<void> | void) =>
    socket.on(event, (data: unknown) => {
      const parsed = schema.safeParse(data);
      if (!parsed.success) return;
      chain = chain.then(() => handle(parsed.data)).catch((err: unknown) => log.warn({ err, event }, 'terminal event failed'));
    });
  const refuse = (terminalId: string, message: string): void => {
    socket.emit('terminal:error', { terminalId, message });
  };

  on('terminal:create', Create, async (p) => {
    if (!(await authorized(p.sessionId))) return refuse(p.terminalId, UNAVAILABLE);
    const max = deps.cfg.terminalMaxTerminals;
    if (!relay.hasTerminal(socket, ns, p.sessionId, p.terminalId) && relay.countForSocket(socket) >= max) return refuse(p.terminalId, `Too many terminals open (max ${max}).`);
    const opened = await relay.openTerminal(socket, ns, p);
    if (!opened.ok) refuse(p.terminalId, opened.message);
  });
  on('terminal:write', Write, (p) => relay.fromWeb(socket, ns, 'write', p));
  on('terminal:resize', Resize, (p) => relay.fromWeb(socket, ns, 'resize', p));
  on('terminal:close', Close, (p) => relay.fromWeb(socket, ns, 'close', p));
  on('agent-terminal:subscribe', AgentSession, async (p) => {
    if (await authorized(p.sessionId)) await relay.subscribeAgent(socket, ns, p.sessionId);
  });
  on('agent-terminal:unsubscribe', AgentSession, (p) => relay.unsubscribeAgent(socket, ns, p.sessionId));
  on('agent-terminal:resize', AgentResize, async (p) => {
    if (await authorized(p.sessionId)) relay.toAgent(ns, p.sessionId, 'agent-resize', p);
  });
  on('agent-terminal:input', AgentInput, async (p) => {
    if (await authorized(p.sessionId)) relay.toAgent(ns, p.sessionId, 'agent-input', p);
  });
  socket.on('disconnect', () => relay.dropWebSocket(socket));
}

/** Registers both sides of the web terminal: page sockets on `/terminal`, CLI sockets on `/cli`. */
export function registerTerminalSockets(live: Live, deps: GatewayDeps): void {
  live.sockets.use((ctx) => attachCliTerminalHandlers(ctx, live.terminals));
  live.terminalSockets.on('connection', (socket) => attachWebTerminalHandlers(socket, deps, live.terminals));
}
