import type { Logger } from './logger.js';

type Hook = { name: string; run: () => Promise<void> | void };

/**
 * Ordered, idempotent shutdown. Hooks run in the reverse order of registration (last started,
 * first stopped), each with its own error handling, then the process exits.
 */
export class Shutdown {
  private readonly hooks: Hook[] = [];
  private running: Promise<void> | null = null;

  constructor(private readonly log: Logger) {}

  add(name: string, run: Hook['run']): void {
    this.hooks.push({ name, run });
  }

  /** Runs every hook once; later calls return the same promise. */
  run(reason: string): Promise<void> {
    if (!this.running) this.running = this.runHooks(reason);
    return this.running;
  }

  private async runHooks(reason: string): Promise<void> {
    this.log.info({ reason }, 'shutting down');
    for (const hook of [...this.hooks].reverse()) {
      try {
        await hook.run();
      } catch (err) {
        this.log.error({ err, hook: hook.name }, 'shutdown step failed');
      }
    }
    this.log.info('shut down');
  }

  /** Installs SIGTERM/SIGINT handlers once; the process exits with 0 after the hooks. */
  onSignals(): void {
    const handler = (signal: NodeJS.Signals) => {
      void this.run(signal).finally(() => process.exit(0));
    };
    process.once('SIGTERM', handler);
    process.once('SIGINT', handler);
  }
}
