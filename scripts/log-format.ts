/** How the launcher shows its children's output: pino JSON and nats-server lines made short. */

const COLORS = [36, 35, 33, 32, 34, 31];
const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO ', 40: 'WARN ', 50: 'ERROR', 60: 'FATAL' };
const PINO_KEYS = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'name', 'service', 'v']);

/** C0 and C1 control characters and DEL, except the tab: what a terminal would act on. */
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g;

/**
 * `text` with every control character shown as `\xHH`. Children log client strings (a machine
 * id, a session name): an escape sequence in one must not reach the operator's terminal raw,
 * where it could recolour, retitle or rewrite what the console shows.
 */
export function escapeControl(text: string): string {
  return text.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function shortValue(v: unknown): string {
  // JSON.stringify escapes control characters too, so a quoted value is already safe.
  const s = typeof v === 'string' ? (/[\s\u0000-\u001f\u007f-\u009f]/.test(v) ? JSON.stringify(v) : v) : (JSON.stringify(v) ?? String(v));
  return escapeControl(s.length > 160 ? `${s.slice(0, 157)}...` : s);
}

const NATS_LINE = /^\[\d+\] \d{4}\/\d\d\/\d\d (\d\d:\d\d:\d\d)\.\d+ \[(\w+)\] (.*)$/;
const NATS_LEVELS: Record<string, string> = { INF: 'INFO ', WRN: 'WARN ', ERR: 'ERROR', FTL: 'FATAL', DBG: 'DEBUG', TRC: 'TRACE' };

/**
 * One log line → `HH:MM:SS LEVEL message key=value ...` for pino JSON and nats-server lines;
 * anything else is returned as is. Control characters never come out raw (escapeControl).
 */
export function formatLogLine(line: string): string {
  return formatLogRecord(line).text;
}

/**
 * The same, with the `service` a pino line names: a process hosting several services (the
 * `services` process) has its lines shown under each service's own name.
 */
export function formatLogRecord(line: string): { text: string; service?: string } {
  const nats = NATS_LINE.exec(line);
  if (nats) return { text: escapeControl(`${nats[1]} ${NATS_LEVELS[nats[2]!] ?? nats[2]} ${nats[3]}`) };
  if (!line.startsWith('{')) return { text: escapeControl(line) };
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return { text: escapeControl(line) };
  }
  if (typeof rec.level !== 'number' || typeof rec.msg !== 'string') return { text: escapeControl(line) };
  const time = typeof rec.time === 'number' ? new Date(rec.time).toISOString().slice(11, 19) : '--:--:--';
  const level = LEVELS[rec.level] ?? String(rec.level);
  const extras: string[] = [];
  let stack = '';
  for (const [k, v] of Object.entries(rec)) {
    if (PINO_KEYS.has(k) || v === undefined) continue;
    if (k === 'err' && v && typeof v === 'object') {
      const e = v as { type?: string; message?: string; stack?: string };
      extras.push(`err=${shortValue(`${e.type ?? 'Error'}: ${e.message ?? ''}`)}`);
      if (rec.level >= 50 && typeof e.stack === 'string') stack = `\n${e.stack.split('\n').map(escapeControl).join('\n')}`;
      continue;
    }
    extras.push(`${k}=${shortValue(v)}`);
  }
  const text = `${time} ${level} ${escapeControl(rec.msg)}${extras.length ? `  ${extras.join(' ')}` : ''}${stack}`;
  return typeof rec.service === 'string' ? { text, service: rec.service } : { text };
}

/** A child's name label in its own ANSI color (only on a terminal). */
export function colorize(text: string, index: number, on: boolean): string {
  return on ? `\x1b[${COLORS[index % COLORS.length]}m${text}\x1b[0m` : text;
}
