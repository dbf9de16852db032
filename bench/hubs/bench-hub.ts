/** A hub under measurement, whichever it is: where to reach it and which processes are it. */
export interface BenchHub {
  kind: 'teamhub' | 'hapi';
  /** For the report: what was started. */
  label: string;
  url: string;
  /** The base token (its `:name` suffixes are the namespaces the workloads use). */
  baseToken: string;
  /** Roots of the hub's process trees (everything it started hangs below them). */
  roots(): number[];
  stop(): Promise<void>;
}

/** A second teamhub gateway replica against the same services and NATS. */
export interface ExtraGateway {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

export interface TeamhubBenchHub extends BenchHub {
  kind: 'teamhub';
  startSecondGateway(): Promise<ExtraGateway>;
}

/** A line with anything that follows a token label masked (the launcher's banner prints the tokens). */
export function redactTokens(line: string): string {
  return line.replace(/(token[\w ]*[:=]\s*"?)[^\s"]+/gi, '$1[redacted]');
}

/** Keeps the last lines a child printed, to explain a failure, with tokens masked. */
export class OutputTail {
  private lines: string[] = [];
  private partial = '';

  constructor(private readonly max = 80) {}

  push(chunk: Buffer | string): void {
    const text = this.partial + chunk.toString();
    const parts = text.split('\n');
    this.partial = parts.pop() ?? '';
    this.lines.push(...parts.map(redactTokens));
    if (this.lines.length > this.max) this.lines = this.lines.slice(-this.max);
  }

  /** Everything kept so far (also the unfinished last line). */
  text(): string {
    return [...this.lines, redactTokens(this.partial)].join('\n');
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the process has exited. */
export function stopProcess(proc: import('node:child_process').ChildProcess, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
    const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
    proc.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    proc.kill('SIGTERM');
  });
}
