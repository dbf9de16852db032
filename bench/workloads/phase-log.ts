import { nowUs } from '../stats.js';

/** One stretch of a run, on the monotonic clock CPU profiles use, so samples can be cut by phase. */
export interface Phase {
  hub: string;
  name: string;
  startUs: number;
  endUs: number;
}

export class PhaseLog {
  readonly phases: Phase[] = [];

  constructor(
    private readonly hub: string,
    private readonly say: (line: string) => void,
  ) {}

  async run<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const startUs = nowUs();
    this.say(`  ${this.hub}: ${name}`);
    try {
      return await fn();
    } finally {
      this.phases.push({ hub: this.hub, name, startUs, endUs: nowUs() });
    }
  }
}
