/**
 * One child process of the local hub, kept running: its output lines are prefixed and shortened,
 * its last lines are kept for when it fails, and once it has been ready it is restarted whenever
 * it dies on its own (with the backoff and crash-loop limit of restart-policy.ts), with the same
 * command and environment, so it comes back on the same addresses.
 *
 * Written here rather than taken from npm: the supervisors there are daemons (pm2) or restart
 * with a fixed count and delay and know nothing of readiness (concurrently, forever-monitor,
 * respawn), while the launcher needs "ready" from each child's own TEAMHUB_READY line, ordered
 * start-up, and the secrets the auth service announces kept out of the log. The restart part
 * is this file's ~100 lines.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { formatLogRecord } from './log-format.js';
import { CrashHistory, type RestartPolicy } from './restart-policy.js';

export interface ChildSpec {
  name: string;
  cmd: string;
  args: string[];
  /** Its environment; the launcher may pin a value after the first start (e.g. the port it got). */
  env: NodeJS.ProcessEnv;
  cwd: string;
  ready: RegExp;
  /** Hide informational lines until ready (they stay in the tail shown on failure). */
  quietUntilReady?: boolean;
}

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A child that the launcher gave up on: it failed at the first start, or crashed in a loop. */
export interface ChildFailure extends ChildExit {
  name: string;
  /** Its last lines of output, raw. */
  tail: string[];
  /** Crashes inside the restart window (0 when it failed at the first start). */
  crashes: number;
}

export interface ChildHooks {
  /** Receives each output line, already formatted (without the name prefix), and the service a log line names. */
  print: (line: string, service?: string) => void;
  /** Receives the launcher's own lines about this child (crashed, restarting, back). */
  notice: (line: string) => void;
  /** Called once when the child crashed `policy.limit` times inside the window. */
  gaveUp: (failure: ChildFailure) => void;
  policy: RestartPolicy;
  readyTimeoutMs: number;
}

export class StartupError extends Error {
  constructor(
    message: string,
    readonly failure?: ChildFailure,
  ) {
    super(message);
    this.name = 'StartupError';
  }
}

const TAIL_LINES = 60;
const SECRET_LINE = /^(TEAMHUB_BASE_TOKEN|TEAMHUB_ADMIN_TOKEN|TEAMHUB_ADMIN_TOKEN_FILE)=(\S+)\s*$/;

/** Every child with a process running, so a second Ctrl-C or the launcher's exit never leaves orphans. */
const live = new Set<SupervisedChild>();

/** SIGKILLs every child still running (last resort: a second Ctrl-C, or the launcher exiting). */
export function killAllChildren(): void {
  for (const c of live) c.signal('SIGKILL');
}
process.once('exit', killAllChildren);

export function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `signal ${signal}` : `exit code ${code}`;
}

function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}

export class SupervisedChild {
  readonly tail: string[] = [];
  /** How many times it was restarted after dying on its own. */
  restarts = 0;
  private proc: ChildProcess | null = null;
  private exited: Promise<ChildExit> = Promise.resolve({ code: null, signal: null });
  private startedAt = 0;
  private readyMatch: RegExpMatchArray | null = null;
  private readyWaiters: ((m: RegExpMatchArray) => void)[] = [];
  private readonly captured = new Map<string, string>();
  private readonly history: CrashHistory;
  /** Set once it was ready the first time: from then on a death is a crash to restart from. */
  private supervised = false;
  private stopping = false;
  private restartTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly spec: ChildSpec,
    private readonly hooks: ChildHooks,
  ) {
    this.history = new CrashHistory(hooks.policy);
  }

  get name(): string {
    return this.spec.name;
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  /** Starts the process (again). */
  start(): void {
    this.readyMatch = null;
    this.readyWaiters = [];
    this.startedAt = Date.now();
    // Own process group: a Ctrl-C in the terminal reaches the launcher only, which then stops
    // the children in reverse order instead of all of them at once.
    const proc = spawn(this.spec.cmd, this.spec.args, { cwd: this.spec.cwd, env: this.spec.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    this.proc = proc;
    live.add(this);
    this.exited = new Promise((resolve) => {
      proc.once('error', (err) => {
        this.remember(`failed to start ${this.spec.cmd}: ${err.message}`);
        resolve({ code: 127, signal: null });
      });
      // 'close', not 'exit': it comes after the last line of output, so the tail is complete.
      proc.once('close', (code, signal) => resolve({ code, signal }));
    });
    void this.exited.then((exit) => {
      if (this.proc === proc) live.delete(this);
      this.onExit(exit);
    });
    this.pipeLines(proc.stdout!);
    this.pipeLines(proc.stderr!);
  }

  /** Resolves with the ready match of the current run; rejects when it exits first or the timeout passes. */
  waitReady(timeoutMs = this.hooks.readyTimeoutMs): Promise<RegExpMatchArray> {
    if (this.readyMatch) return Promise.resolve(this.readyMatch);
    const run = this.exited;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new StartupError(`${this.name} did not report ready within ${Math.round(timeoutMs / 1000)} s`, this.failure({ code: null, signal: null })));
      }, timeoutMs);
      this.readyWaiters.push((m) => {
        clearTimeout(timer);
        resolve(m);
      });
      void run.then((exit) => {
        clearTimeout(timer);
        reject(new StartupError(`${this.name} exited before it was ready (${describeExit(exit.code, exit.signal)})`, this.failure(exit)));
      });
    });
  }

  /** From now on, a death on its own is restarted (called once it was ready the first time). */
  supervise(): void {
    this.supervised = true;
  }

  capturedValue(key: string): string | undefined {
    return this.captured.get(key);
  }

  failure(exit: ChildExit, crashes = 0): ChildFailure {
    return { name: this.name, ...exit, tail: [...this.tail], crashes };
  }

  isRunning(): boolean {
    return this.proc !== null && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** No more restarts; SIGTERM, then SIGKILL after `graceMs`; resolves once the process has exited. */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    if (!this.isRunning()) return;
    this.signal('SIGTERM');
    const timer = setTimeout(() => {
      this.hooks.notice(`${this.name} did not stop within ${Math.round(graceMs / 1000)} s; killing it`);
      this.signal('SIGKILL');
    }, graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  signal(sig: NodeJS.Signals): void {
    try {
      this.proc?.kill(sig);
    } catch {
      // already gone
    }
  }

  private onExit(exit: ChildExit): void {
    if (this.stopping || !this.supervised) return;
    const upMs = Date.now() - this.startedAt;
    const decision = this.history.crashed(Date.now());
    const how = `${describeExit(exit.code, exit.signal)}, after ${seconds(upMs)} running`;
    if (decision.action === 'give-up') {
      const { limit, windowMs } = this.hooks.policy;
      this.hooks.notice(`${this.name} stopped unexpectedly (${how}); that is ${limit} crashes within ${seconds(windowMs)}, so it is not restarted again`);
      this.stopping = true;
      this.hooks.gaveUp(this.failure(exit, decision.crashesInWindow));
      return;
    }
    const attempt = this.restarts + 1;
    this.hooks.notice(
      `${this.name} stopped unexpectedly (${how}); restart ${attempt} in ${seconds(decision.delayMs)} ` +
        `(crash ${decision.crashesInWindow} of ${this.hooks.policy.limit} allowed within ${seconds(this.hooks.policy.windowMs)})`,
    );
    this.restartTimer = setTimeout(() => this.restart(attempt), decision.delayMs);
  }

  private restart(attempt: number): void {
    this.restartTimer = null;
    if (this.stopping) return;
    this.restarts = attempt;
    this.remember(`--- restart ${attempt} ---`);
    this.start();
    const started = Date.now();
    this.waitReady().then(
      () => this.hooks.notice(`${this.name} is back (restart ${attempt}, pid ${this.pid}, ready in ${seconds(Date.now() - started)})`),
      (err: unknown) => {
        if (!this.isRunning()) return; // it died again; onExit handles that
        this.hooks.notice(`${this.name}: ${(err as Error).message} after restart ${attempt}; killing it`);
        this.signal('SIGKILL');
      },
    );
  }

  private pipeLines(stream: NodeJS.ReadableStream): void {
    let buf = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        this.onLine(buf.slice(0, nl).replace(/\r$/, ''));
        buf = buf.slice(nl + 1);
      }
    });
    stream.on('end', () => {
      if (buf) this.onLine(buf);
      buf = '';
    });
  }

  private remember(line: string): void {
    this.tail.push(line);
    if (this.tail.length > TAIL_LINES) this.tail.shift();
  }

  private onLine(line: string): void {
    const secret = SECRET_LINE.exec(line);
    if (secret) {
      // Shown once, in the banner; kept out of the log stream and out of the failure tail.
      this.captured.set(secret[1]!, secret[2]!);
      return;
    }
    this.remember(line);
    if (!this.readyMatch) {
      const m = line.match(this.spec.ready);
      if (m) {
        this.readyMatch = m;
        for (const w of this.readyWaiters.splice(0)) w(m);
      }
    }
    // nats-server's start-up banner is noise; its warnings and errors always show.
    if (!this.readyMatch && this.spec.quietUntilReady && / \[INF\] /.test(line)) return;
    if (!line.trim()) return;
    const { text, service } = formatLogRecord(line);
    this.hooks.print(text, service);
  }
}
