import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { http, SESSION_METADATA } from '../helpers/hub-harness.js';
import { connectCli, type CliSocket } from '../helpers/cli-socket.js';

/**
 * A stand-in for the hapi CLI of one session: created with POST /cli/sessions, then a session
 * socket kept alive with heartbeats, that posts agent messages, writes agentState (permission
 * requests) and answers the RPCs the page's actions become.
 */
export interface StandInSession {
  id: string;
  cli: CliSocket;
  /** Every RPC the hub relayed to this CLI: method without the session prefix, parsed params. */
  rpcs: Array<{ method: string; params: any }>;
  /** Registers `method` (e.g. `git-status`) with a handler whose result goes back as the ack. */
  answer(method: string, handler: (params: any) => unknown): void;
  post(message: unknown): void;
  setAgentState(agentState: unknown): Promise<void>;
  setThinking(thinking: boolean): void;
  stop(): void;
}

export async function startStandInSession(url: string, token: string, metadata: Record<string, unknown> = {}): Promise<StandInSession> {
  const res = await http(url, 'POST', '/cli/sessions', { token, body: { tag: randomUUID(), metadata: { ...SESSION_METADATA, ...metadata }, agentState: {} } });
  expect(res.status, res.text).to.equal(200);
  const id = res.json.session.id as string;
  let version = res.json.session.agentStateVersion as number;
  const cli = await connectCli(url, token, { sessionId: id });
  const handlers = new Map<string, (params: any) => unknown>();
  const rpcs: StandInSession['rpcs'] = [];
  cli.socket.on('rpc-request', async (req: { method: string; params: string }, ack: (s: string) => void) => {
    const method = req.method.startsWith(`${id}:`) ? req.method.slice(id.length + 1) : req.method;
    const params = JSON.parse(req.params || '{}');
    rpcs.push({ method, params });
    const h = handlers.get(method);
    try {
      ack(JSON.stringify(h ? await h(params) : { ok: true }));
    } catch (err) {
      ack(JSON.stringify({ error: (err as Error).message }));
    }
  });
  let thinking = false;
  const alive = () => cli.socket.emit('session-alive', { sid: id, time: Date.now(), thinking });
  alive();
  const timer = setInterval(alive, 2000);
  for (const m of ['permission', 'abort', 'killSession']) cli.socket.emit('rpc-register', { method: `${id}:${m}` });
  return {
    id,
    cli,
    rpcs,
    answer: (method, handler) => {
      handlers.set(method, handler);
      cli.socket.emit('rpc-register', { method: `${id}:${method}` });
    },
    post: (message) => cli.socket.emit('message', { sid: id, message }),
    setAgentState: async (agentState) => {
      const ack = await cli.ack('update-state', { sid: id, expectedVersion: version, agentState });
      expect(ack.result, JSON.stringify(ack)).to.equal('success');
      version = ack.version;
    },
    setThinking: (t) => ((thinking = t), alive()),
    stop: () => (clearInterval(timer), cli.close()),
  };
}
