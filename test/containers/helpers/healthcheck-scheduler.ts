import type { ComposeStack } from './compose.js';

/**
 * Stands in for the engine's healthcheck timer. Docker runs every container's HEALTHCHECK on its
 * interval by itself; podman schedules them with systemd timers, and systemd is not PID 1 on the
 * machines this tier runs on, so without this every health status would stay "starting" and
 * `depends_on: condition: service_healthy` would wait forever. It runs
 * `podman healthcheck run` (podman's own check, with its retries and start period) for each
 * running container of the project that has one, every `intervalMs`; what the check decides is
 * podman's, exactly as on a host with systemd.
 */
export class HealthcheckScheduler {
  private timer: NodeJS.Timeout | undefined;
  private readonly hasCheck = new Map<string, boolean>();
  private readonly inFlight = new Set<string>();
  private stopped = false;
  runs = 0;

  constructor(
    private readonly stack: ComposeStack,
    private readonly intervalMs = 2_000,
  ) {}

  start(): void {
    const tick = async () => {
      if (this.stopped) return;
      try {
        await this.round();
      } catch {
        // A container may vanish between listing and checking; the next round sees the new state.
      }
      if (!this.stopped) this.timer = setTimeout(() => void tick(), this.intervalMs);
    };
    void tick();
  }

  private async round(): Promise<void> {
    const running = (await this.stack.containers()).filter((c) => c.state === 'running');
    await Promise.all(
      running.map(async (c) => {
        if (this.inFlight.has(c.id)) return;
        if (!this.hasCheck.has(c.id)) {
          const info = await this.stack.inspect(c.id);
          this.hasCheck.set(c.id, Array.isArray(info?.Config?.Healthcheck?.Test) && info.Config.Healthcheck.Test.length > 0);
        }
        if (!this.hasCheck.get(c.id)) return;
        this.inFlight.add(c.id);
        try {
          await this.stack.engine.podman(['healthcheck', 'run', c.id], 20_000);
          this.runs += 1;
        } finally {
          this.inFlight.delete(c.id);
        }
      }),
    );
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }
}
