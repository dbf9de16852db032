// `teamhub runner start|stop|status`. `start` daemonizes: a detached `--foreground` child logging to
// $HAPI_HOME/logs/runner.log, and returns once that child registered (or failed).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { CliError } from '../errors.js';
import { alreadyRunning, runRunnerForeground, validateRunnerOptions, type RunnerOptions } from '../runner/foreground.js';
import { lockHolder, logPath, pidAlive, readRunnerState } from '../runner/lock.js';
import { requireToken, resolveClientConfig } from '../settings.js';
import { TEAMHUB_SHIM } from '../socket.js';

const START_TIMEOUT_MS = 30_000;

type ChildReport = { type: 'ready'; machineId: string; pid: number } | { type: 'error'; message: string };

async function startDetached(opts: RunnerOptions): Promise<void> {
  const cfg = resolveClientConfig();
  requireToken(cfg);
  validateRunnerOptions(opts);
  const holder = lockHolder(cfg.home);
  if (holder !== null) throw alreadyRunning(cfg.home, holder);
  const log = logPath(cfg.home);
  fs.mkdirSync(path.dirname(log), { recursive: true, mode: 0o700 });
  const fd = fs.openSync(log, 'a', 0o600);
  const args = [TEAMHUB_SHIM, 'runner', 'start', '--foreground', '--agent-command', opts.agentCommand];
  for (const r of opts.workspaceRoot) args.push('--workspace-root', path.resolve(r));
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', fd, fd, 'ipc'], env: process.env });
  fs.closeSync(fd);
  const outcome = await new Promise<ChildReport>((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      resolve({ type: 'error', message: `The runner did not become ready within ${START_TIMEOUT_MS / 1000} s; see ${log}` });
    }, START_TIMEOUT_MS);
    child.on('message', (m: ChildReport) => {
      clearTimeout(timer);
      resolve(m);
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ type: 'error', message: `The runner exited (code ${code}) before it was ready; see ${log}` });
    });
  });
  child.removeAllListeners();
  if (child.connected) child.disconnect();
  child.unref();
  if (outcome.type === 'error') throw new CliError(outcome.message);
  console.log(`Runner started (pid ${outcome.pid}, machine ${outcome.machineId}). Log: ${log}`);
}

async function stopRunner(): Promise<void> {
  const cfg = resolveClientConfig();
  const pid = lockHolder(cfg.home) ?? readRunnerState(cfg.home)?.pid ?? null;
  if (pid === null || !pidAlive(pid)) {
    console.log(`No runner is running for HAPI_HOME ${cfg.home}.`);
    return;
  }
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 15_000;
  while (pidAlive(pid)) {
    if (Date.now() > deadline) throw new CliError(`The runner (pid ${pid}) did not stop within 15 s.`);
    await new Promise((r) => setTimeout(r, 100));
  }
  console.log(`Runner stopped (pid ${pid}).`);
}

function runnerStatus(opts: { json?: boolean }): void {
  const cfg = resolveClientConfig();
  const pid = lockHolder(cfg.home);
  const state = readRunnerState(cfg.home);
  const running = pid !== null;
  if (opts.json) {
    console.log(JSON.stringify({ running, home: cfg.home, ...(running && state ? state : {}), pid: pid ?? undefined }));
  } else if (!running) {
    console.log(`Runner: not running (HAPI_HOME ${cfg.home})`);
  } else {
    const lines = [`Runner: running (pid ${pid})`, `  HAPI_HOME: ${cfg.home}`];
    if (state) {
      lines.push(`  Machine ID: ${state.machineId}`, `  Hub: ${state.apiUrl}`, `  Started: ${new Date(state.startedAt).toISOString()}`);
      if (state.logPath) lines.push(`  Log: ${state.logPath}`);
    }
    console.log(lines.join('\n'));
  }
  if (!running) process.exitCode = 1;
}

export function registerRunnerCommands(program: Command): void {
  const runner = program.command('runner').description('the background runner that accepts remote spawns');
  runner
    .command('start')
    .description('register this machine and accept spawns from the web (one runner per HAPI_HOME)')
    .option('--workspace-root <dir>', 'a directory sessions may be spawned in (repeatable)', (v: string, acc: string[]) => [...acc, v], [])
    .requiredOption('--agent-command <cmd>', 'the command every spawned session runs (wrapped by `teamhub run`)')
    .option('--foreground', 'run in this process instead of daemonizing')
    .action(async (opts: RunnerOptions & { foreground?: boolean }) => {
      if (opts.foreground) await runRunnerForeground(opts);
      else await startDetached(opts);
    });
  runner.command('stop').description('stop the runner of this HAPI_HOME').action(stopRunner);
  runner.command('status').description('show whether a runner runs for this HAPI_HOME').option('--json', 'JSON output').action(runnerStatus);
}
