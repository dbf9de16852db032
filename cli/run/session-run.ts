// `teamhub run -- <command>`: wraps any command as a hub session (HAPI flow A).
import { randomUUID } from 'node:crypto';
import { spawn } from 'node:child_process';
import os from 'node:os';
import readline from 'node:readline';
import { CliError, HttpError, MACHINE_NAMESPACE_HINT } from '../errors.js';
import { hubRequest } from '../http.js';
import { hostName, machineMetadata, registerMachine } from '../machine.js';
import { ensureMachineId, requireToken, resolveClientConfig } from '../settings.js';
import { openCliSocket, RpcRegistry } from '../socket.js';
import { CLI_VERSION_TAG } from '../version.js';
import { Inbox, messageFetcher } from './inbox.js';
import { Permissions, type AgentState } from './permissions.js';
import { parsePermissionLine, permissionResultLine } from './protocol-lines.js';

export const SESSION_ALIVE_MS = 2000;

export interface RunOptions {
  name?: string;
  startedBy?: string;
  existingSessionId?: string;
}

interface SessionRecord {
  id: string;
  agentState?: AgentState | null;
  agentStateVersion?: number;
}

const say = (msg: string) => process.stderr.write(`teamhub: ${msg}\n`);

async function createSession(apiUrl: string, token: string, home: string, opts: RunOptions): Promise<SessionRecord> {
  const machineId = ensureMachineId(home);
  await registerMachine(apiUrl, token, { id: machineId, metadata: machineMetadata(home) });
  const metadata: Record<string, unknown> = {
    path: process.cwd(),
    host: hostName(),
    machineId,
    flavor: 'teamhub-run',
    startedBy: opts.startedBy ?? 'terminal',
    lifecycleState: 'running',
    lifecycleStateSince: Date.now(),
    os: os.platform(),
    version: CLI_VERSION_TAG,
    hostPid: process.pid,
    homeDir: os.homedir(),
    happyHomeDir: home,
  };
  if (opts.name) metadata.name = opts.name;
  const body: Record<string, unknown> = { tag: randomUUID(), metadata, agentState: {} };
  if (opts.existingSessionId) body.id = opts.existingSessionId;
  try {
    const res = await hubRequest<{ session?: SessionRecord }>(apiUrl, '/cli/sessions', { bearer: token, body });
    if (!res?.session?.id) throw new CliError('The hub answered POST /cli/sessions without a session.');
    return res.session;
  } catch (err) {
    if (err instanceof HttpError && err.status === 403 && err.serverError === 'Machine access denied') {
      throw new CliError(`Machine access denied. ${MACHINE_NAMESPACE_HINT}`);
    }
    throw err;
  }
}

function agentMessage(text: string) {
  return {
    role: 'agent',
    content: { type: 'output', data: { type: 'assistant', message: { content: [{ type: 'text', text }] } } },
    meta: { sentFrom: 'cli' },
  };
}

export async function runSession(command: string[], opts: RunOptions): Promise<void> {
  if (!command.length) throw new CliError('Nothing to run: use `teamhub run [options] -- <command> [args...]`.');
  const cfg = resolveClientConfig();
  const token = requireToken(cfg);
  let session: SessionRecord;
  try {
    session = await createSession(cfg.apiUrl, token, cfg.home, opts);
  } catch (err) {
    if (process.send) await new Promise((r) => process.send!({ type: 'session-error', message: (err as Error).message }, r));
    throw err;
  }
  const sid = session.id;
  say(`session ${sid}`);
  if (process.send) process.send({ type: 'session-started', sessionId: sid }, () => process.connected && process.disconnect());

  const child = spawn(command[0]!, command.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], env: process.env });
  let spawnError: Error | null = null;
  child.on('error', (err) => {
    spawnError = err;
  });
  child.stdin.on('error', () => undefined);
  const socket = openCliSocket(cfg.apiUrl, { token, clientType: 'session-scoped', sessionId: sid }, say);
  const rpc = new RpcRegistry(socket, sid);
  const perms = new Permissions(socket, sid, { version: session.agentStateVersion ?? 0, value: session.agentState ?? null });
  const writeChild = (text: string) => {
    if (child.stdin.writable) child.stdin.write(text);
  };
  const inbox = new Inbox(messageFetcher(cfg.apiUrl, token, sid), ({ text, localId }) => {
    writeChild(text + '\n');
    if (localId) socket.emit('messages-consumed', { sid, localIds: [localId] });
  });
  const alive = () => socket.emit('session-alive', { sid, time: Date.now(), thinking: false });
  socket.on('connect', () => {
    alive();
    inbox.backfill().catch((err: Error) => say(`message backfill failed: ${err.message}`));
  });
  socket.on('update', (u: { body?: { t?: string; sid?: string; message?: unknown } }) => {
    if (u?.body?.t === 'new-message' && u.body.sid === sid) inbox.push(u.body.message as never);
  });
  const aliveTimer = setInterval(() => socket.connected && alive(), SESSION_ALIVE_MS);

  let endReason: string | null = null;
  rpc.add('permission', async (p) => {
    const r = await perms.resolve(p);
    writeChild(permissionResultLine(r.id, r.approved));
    return { ok: true };
  });
  rpc.add('abort', () => {
    child.kill('SIGINT');
    return { ok: true };
  });
  rpc.add('killSession', () => {
    endReason = 'terminated';
    child.kill('SIGTERM');
    return { ok: true };
  });

  const pump = (stream: NodeJS.ReadableStream, echo: NodeJS.WritableStream) => {
    const rl = readline.createInterface({ input: stream, crlfDelay: Infinity });
    rl.on('line', (line) => {
      echo.write(line + '\n');
      const perm = stream === child.stdout ? parsePermissionLine(line) : null;
      if (perm) {
        perms.request(perm).catch((err: Error) => say(`permission request failed: ${err.message}`));
        return;
      }
      socket.emit('message', { sid, message: agentMessage(line), localId: randomUUID() });
    });
  };
  pump(child.stdout, process.stdout);
  pump(child.stderr, process.stderr);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => child.kill(sig));

  const code = await new Promise<number>((resolve) =>
    child.on('close', (c, signal) => resolve(c ?? (signal ? 128 + (os.constants.signals[signal] ?? 0) : 1))),
  );
  if (spawnError) say(`cannot start ${command[0]}: ${(spawnError as Error).message}`);
  clearInterval(aliveTimer);
  socket.emit('session-end', { sid, time: Date.now(), reason: endReason ?? (code === 0 ? 'completed' : 'error') });
  await flush(socket);
  socket.close();
  process.exit(code);
}

/** Waits (bounded) until buffered events reached the hub: a `ping` ack comes after them. */
async function flush(socket: ReturnType<typeof openCliSocket>): Promise<void> {
  try {
    await socket.timeout(5000).emitWithAck('ping');
  } catch {
    /* hub unreachable: nothing more to do */
  }
}
