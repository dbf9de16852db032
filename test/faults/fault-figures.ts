import type { WriteKind, WriteRecord } from './steady-load.js';
import { WRITE_KINDS } from './steady-load.js';

/** What one fault cost, as measured: the figures the tier prints and asserts on. */
export interface FaultFigures {
  fault: string;
  /** Writes sent during the phase, and how they ended. */
  sent: number;
  acknowledged: number;
  refused: number;
  /** Answers that were neither a success nor a clear refusal (a 500, a 401…): bugs. */
  unclear: string[];
  /** Writes with no answer within the timeout. */
  unanswered: number;
  lost: number;
  duplicated: number;
  /** From the fault to the first clear refusal; null when nothing was refused. */
  firstErrorMs: number | null;
  /** The slowest clear refusal, from sending to its answer. */
  slowestRefusalMs: number | null;
  /** The slowest success. */
  slowestAckMs: number;
  /** From the fault until the process was back (the launcher's "is back", a new banner, SIGCONT). */
  backMs: number;
  /** From the fault until every kind of write succeeded again for good; 0 when none failed. */
  recoveredMs: number;
  /** The same, per kind of write that failed. */
  recoveredByKindMs: Partial<Record<WriteKind, number>>;
  /** From the process's return until the runner was listed online again; null = it never went offline. */
  runnerBackMs: number | null;
  /** From the process's return until the CLI socket reconnected; null = it never disconnected. */
  cliBackMs: number | null;
  /**
   * Web messages refused 409 "Session is inactive" (no CLI live: the restarted gateway's sweeper
   * marked the session inactive before the CLI's socket was back), and of those the ones sent
   * after the CLI's socket had been back for a moment, which must never happen.
   */
  inactiveRefusals: number;
  inactiveAfterCliBack: string[];
  /** Why the CLI socket disconnected, if it did. */
  cliDisconnects: string[];
  /** SSE reconnects during the phase and their resume answers. */
  sseResumes: string[];
  /** Acknowledged writes whose event no SSE client saw. */
  eventsMissing: number;
}

/**
 * Per kind of write, the time after `from` at which its writes succeeded again for good: the
 * answer to the first success after its last failure (absent when none of that kind failed).
 */
export function recoveryByKind(records: WriteRecord[], from: number): Partial<Record<WriteKind, number>> {
  const out: Partial<Record<WriteKind, number>> = {};
  for (const kind of WRITE_KINDS as WriteKind[]) {
    const mine = records.filter((r) => r.kind === kind && r.sentAt >= from).sort((a, b) => a.sentAt - b.sentAt);
    const lastBad = mine.reduce((i, r, idx) => (r.outcome !== 'acked' ? idx : i), -1);
    if (lastBad === -1) continue;
    const good = mine.slice(lastBad + 1).filter((r) => r.outcome === 'acked');
    out[kind] = good.length > 0 ? Math.min(...good.map((r) => r.answeredAt!)) : Number.POSITIVE_INFINITY;
  }
  return out;
}

const ms = (v: number | null, none = '–') => (v === null ? none : `${Math.round(v)}`);

/** The table the tier prints (and the README carries): one row per fault. */
export function figuresTable(rows: FaultFigures[]): string {
  const head = ['fault', 'acknowledged', 'lost', 'duplicated', 'refused (clear)', 'first clear error ms', 'slowest answer ms', 'back ms', 'recovered ms', 'runner online again ms', 'CLI socket back ms', 'events missed'];
  const lines = [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`];
  for (const r of rows) {
    lines.push(
      `| ${[
        r.fault,
        r.acknowledged,
        r.lost,
        r.duplicated,
        r.refused,
        ms(r.firstErrorMs, 'none'),
        ms(Math.max(r.slowestAckMs, r.slowestRefusalMs ?? 0)),
        ms(r.backMs),
        ms(r.recoveredMs),
        ms(r.runnerBackMs, 'stayed online'),
        ms(r.cliBackMs, 'stayed connected'),
        r.eventsMissing,
      ].join(' | ')} |`,
    );
  }
  return lines.join('\n');
}
