// The runner process itself (`teamhub runner start --foreground`): lock, register the machine,
// keep the machine-scoped socket up, serve spawn/list/stop RPCs, shut down cleanly on SIGTERM.
import fs from 'node:fs';
import { CliError } from '../errors.js';
import { machineMetadata, registerMachine } from '../machine.js';
import { ensureMachineId, requireToken, resolveClientConfig } from '../settings.js';
import { casUpdate, openCliSocket, RpcRegistry, type Versioned } from '../socket.js';
import { splitCommand } from '../run/protocol-lines.js';
import { registerRunnerHandlers } from './handlers.js';
import { acquireLock, logPath, releaseLock, removeRunnerState, writeRunnerState } from './lock.js';
import { SpawnedSessions } from './sessions.js';
import { WorkspaceRoots } from './workspace.js';

export const ALIVE_INTERVAL_MS = 20_000;

export interface RunnerOptions {
  workspaceRoot: string[];
  agentCommand: string;
}

const log = (msg: string) => console.log(`${new Date().toISOString()} ${msg}`);

/** Tells a `runner start` parent (IPC) how the start went; no-op in a plain foreground run. */
function report(msg: { type: 'ready'; machineId: string; pid: number } | { type: 'error'; message: string }): void {
  if (!process.send) return;
  process.send(msg, () => process.connected && process.disconnect());
}

export function alreadyRunning(home: string, pid: number): CliError {
  return new CliError(`A teamhub runner is already running for HAPI_HOME ${home} (pid ${pid}). Stop it with \`teamhub runner stop\`.`);
}

export function validateRunnerOptions(opts: RunnerOptions): { roots: WorkspaceRoots; agentArgv: string[] } {
  if (!opts.workspaceRoot?.length) throw new CliError('At least one --workspace-root DIR is required.');
  for (const r of opts.workspaceRoot) {
    if (!fs.statSync(r, { throwIfNoEntry: false })?.isDirectory()) throw new CliError(`Workspace root is not a directory: ${r}`);
  }
  let agentArgv: string[];
  try {
    agentArgv = splitCommand(opts.agentCommand ?? '');
  } catch (err) {
    throw new CliError(`--agent-command: ${(err as Error).message}`);
  }
  if (!agentArgv.length) throw new CliError('--agent-command CMD is required.');
  return { roots: new WorkspaceRoots(opts.workspaceRoot), agentArgv };
}

export async function runRunnerForeground(opts: RunnerOptions): Promise<void> {
  try {
    await startRunner(opts);
  } catch (err) {
    report({ type: 'error', message: err instanceof Error ? err.message : String(err) });
    throw err;
  }
}

async function startRunner(opts: RunnerOptions): Promise<void> {
  const cfg = resolveClientConfig();
  const token = requireToken(cfg);
  const { roots, agentArgv } = validateRunnerOptions(opts);
  const lock = acquireLock(cfg.home);
  if (!lock.ok) throw alreadyRunning(cfg.home, lock.holderPid);
  const startedAt = Date.now();
  let machineId: string;
  let runner: Versioned<Record<string, unknown> | null>;
  try {
    machineId = ensureMachineId(cfg.home);
    const machine = await registerMachine(cfg.apiUrl, token, {
      id: machineId,
      metadata: machineMetadata(cfg.home, { workspaceRoots: roots.roots, capabilities: ['agent-availability'] }),
      runnerState: { status: 'offline', pid: process.pid, startedAt },
    });
    runner = { version: machine.runnerStateVersion ?? 0, value: (machine.runnerState as Record<string, unknown>) ?? null };
    writeRunnerState(cfg.home, { pid: process.pid, machineId, apiUrl: cfg.apiUrl, startedAt, logPath: logPath(cfg.home) });
  } catch (err) {
    releaseLock(cfg.home);
    throw err;
  }
  log(`runner registered machine ${machineId} at ${cfg.apiUrl} (roots: ${roots.roots.join(', ')})`);

  const env = { ...process.env, CLI_API_TOKEN: token, HAPI_API_URL: cfg.apiUrl, HAPI_HOME: cfg.home };
  const sessions = new SpawnedSessions(agentArgv, env, log);
  const socket = openCliSocket(cfg.apiUrl, { token, clientType: 'machine-scoped', machineId }, log);
  const rpc = new RpcRegistry(socket, machineId);
  let stopping = false;
  const setStatus = (status: string, extra: Record<string, unknown> = {}) =>
    casUpdate(socket, 'machine-update-state', { machineId }, 'runnerState', runner, (cur) => ({
      ...(cur ?? {}),
      status,
      pid: process.pid,
      startedAt,
      ...extra,
    }));
  const alive = () => socket.emit('machine-alive', { machineId, time: Date.now() });
  let readySent = false;
  socket.on('connect', () => {
    log('connected to the hub');
    alive();
    if (stopping) return;
    setStatus('running').then(
      () => {
        if (!readySent) {
          readySent = true;
          report({ type: 'ready', machineId, pid: process.pid });
          log(`runner ready (pid ${process.pid})`);
        }
      },
      (err: Error) => log(`machine-update-state failed: ${err.message}`),
    );
  });
  const aliveTimer = setInterval(() => socket.connected && alive(), ALIVE_INTERVAL_MS);

  const shutdown = async (source: string) => {
    if (stopping) return;
    stopping = true;
    log(`runner stopping (${source})`);
    clearInterval(aliveTimer);
    if (socket.connected) {
      await setStatus('shutting-down', { shutdownRequestedAt: Date.now(), shutdownSource: source }).catch(
        (err: Error) => log(`shutdown state not sent: ${err.message}`),
      );
    }
    await sessions.stopAll();
    socket.close();
    removeRunnerState(cfg.home);
    releaseLock(cfg.home);
    log('runner stopped');
    process.exit(0);
  };
  registerRunnerHandlers(rpc, { roots, sessions, requestStop: () => void shutdown('hub') });
  process.once('SIGTERM', () => void shutdown('teamhub-cli'));
  process.once('SIGINT', () => void shutdown('sigint'));
}
