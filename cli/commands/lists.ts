// `teamhub sessions` and `teamhub machines`: the current namespace, through the web API with a JWT.
import type { Command } from 'commander';
import { hubRequest, webLogin } from '../http.js';
import { requireToken, resolveClientConfig } from '../settings.js';
import { fmtTime, formatTable, str } from '../table.js';

type Row = Record<string, unknown> & { metadata?: Record<string, unknown> | null };

async function fetchList(path: string, key: 'sessions' | 'machines'): Promise<Row[]> {
  const cfg = resolveClientConfig();
  const jwt = await webLogin(cfg.apiUrl, requireToken(cfg));
  const res = await hubRequest<Record<string, unknown>>(cfg.apiUrl, path, { bearer: jwt });
  const list = res?.[key];
  return Array.isArray(list) ? (list as Row[]) : [];
}

export async function listSessions(opts: { json?: boolean }): Promise<void> {
  const sessions = await fetchList('/api/sessions', 'sessions');
  if (opts.json) return void console.log(JSON.stringify(sessions, null, 2));
  if (!sessions.length) return void console.log('No sessions in this namespace.');
  const rows = sessions.map((s) => {
    const m = s.metadata ?? {};
    const summary = (m.summary as { text?: string } | undefined)?.text;
    return [str(s.id), s.active ? 'yes' : 'no', str(m.name ?? summary), str(m.flavor), str(m.host), str(m.path), fmtTime(s.updatedAt)];
  });
  console.log(formatTable(['ID', 'ACTIVE', 'NAME', 'FLAVOR', 'HOST', 'PATH', 'UPDATED'], rows));
}

export async function listMachines(opts: { json?: boolean }): Promise<void> {
  const machines = await fetchList('/api/machines', 'machines');
  if (opts.json) return void console.log(JSON.stringify(machines, null, 2));
  if (!machines.length) return void console.log('No machines in this namespace.');
  const rows = machines.map((m) => {
    const md = m.metadata ?? {};
    const rs = (m.runnerState ?? {}) as Record<string, unknown>;
    return [str(m.id), m.active ? 'yes' : 'no', str(md.displayName ?? md.host), str(md.platform), str(rs.status), fmtTime(m.activeAt)];
  });
  console.log(formatTable(['ID', 'ACTIVE', 'HOST', 'PLATFORM', 'RUNNER', 'ACTIVE AT'], rows));
}

export function registerListCommands(program: Command): void {
  program.command('sessions').description('list the sessions of your namespace').option('--json', 'JSON output').action(listSessions);
  program.command('machines').description('list the machines of your namespace').option('--json', 'JSON output').action(listMachines);
}
