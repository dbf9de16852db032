/** How the launcher shows its children's output: pino JSON and nats-server lines made short. */

const COLORS = [36, 35, 33, 32, 34, 31];
const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO ', 40: 'WARN ', 50: 'ERROR', 60: 'FATAL' };
const PINO_KEYS = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'name', 'service', 'v']);

function shortValue(v: unknown): string {
  const s = typeof v === 'string' ? (/\s/.test(v) ? JSON.stringify(v) : v) : JSON.stringify(v);
  return s.length > 160 ? `${s.slice(0, 157)}...` : s;
}

const NATS_LINE = /^\[\d+\] \d{4}\/\d\d\/\d\d (\d\d:\d\d:\d\d)\.\d+ \[(\w+)\] (.*)$/;
const NATS_LEVELS: Record<string, string> = { INF: 'INFO ', WRN: 'WARN ', ERR: 'ERROR', FTL: 'FATAL', DBG: 'DEBUG', TRC: 'TRACE' };

/**
 * One log line → `HH:MM:SS LEVEL message key=value ...` for pino JSON and nats-server lines;
 * anything else is returned as is.
 */
export function formatLogLine(line: string): string {
  const nats = NATS_LINE.exec(line);
  if (nats) return `${nats[1]} ${NATS_LEVELS[nats[2]!] ?? nats[2]} ${nats[3]}`;
  if (!line.startsWith('{')) return line;
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  if (typeof rec.level !== 'number' || typeof rec.msg !== 'string') return line;
  const time = typeof rec.time === 'number' ? new Date(rec.time).toISOString().slice(11, 19) : '--:--:--';
  const level = LEVELS[rec.level] ?? String(rec.level);
  const extras: string[] = [];
  let stack = '';
  for (const [k, v] of Object.entries(rec)) {
    if (PINO_KEYS.has(k) || v === undefined) continue;
    if (k === 'err' && v && typeof v === 'object') {
      const e = v as { type?: string; message?: string; stack?: string };
      extras.push(`err=${shortValue(`${e.type ?? 'Error'}: ${e.message ?? ''}`)}`);
      if (rec.level >= 50 && e.stack) stack = `\n${e.stack}`;
      continue;
    }
    extras.push(`${k}=${shortValue(v)}`);
  }
  return `${time} ${level} ${rec.msg}${extras.length ? `  ${extras.join(' ')}` : ''}${stack}`;
}

/** A child's name label in its own ANSI color (only on a terminal). */
export function colorize(text: string, index: number, on: boolean): string {
  return on ? `\x1b[${COLORS[index % COLORS.length]}m${text}\x1b[0m` : text;
}
