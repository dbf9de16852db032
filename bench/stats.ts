/** Latency figures of one measured series, in milliseconds. */
export interface LatencyStats {
  n: number;
  /** Completed operations per second of wall time over the whole series. */
  perSec: number;
  p50ms: number;
  p99ms: number;
  maxms: number;
}

/** The p-th percentile (nearest rank) of already sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

const round = (v: number, digits = 2) => (Number.isFinite(v) ? +v.toFixed(digits) : v);

/** Summarises latencies (ms) measured over `wallMs` of wall time. */
export function latencyStats(latenciesMs: readonly number[], wallMs: number): LatencyStats {
  const s = [...latenciesMs].sort((a, b) => a - b);
  return {
    n: s.length,
    perSec: round(wallMs > 0 ? (s.length / wallMs) * 1000 : Number.NaN, 1),
    p50ms: round(percentile(s, 50)),
    p99ms: round(percentile(s, 99)),
    maxms: round(s.length ? s[s.length - 1]! : Number.NaN),
  };
}

/** Monotonic time in microseconds: the clock V8 stamps CPU profiles with, so phases line up with samples. */
export const nowUs = (): number => Number(process.hrtime.bigint() / 1000n);

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
