// Hub administration with the admin token: namespaces, audit log, forgetting a machine id.
import type { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { CliError } from '../errors.js';
import { hubRequest, webLogin } from '../http.js';
import { requireToken, resolveClientConfig } from '../settings.js';
import { fmtTime, formatTable, str } from '../table.js';
import { mergeOverview, overviewTable } from './namespace-overview.js';

interface AdminOpts {
  adminTokenFile?: string;
  json?: boolean;
}

export const ADMIN_TOKEN_NEEDED =
  'An admin token is needed: set TEAMHUB_ADMIN_TOKEN, or point --admin-token-file (or TEAMHUB_ADMIN_TOKEN_FILE) at the file make run keeps it in (.teamhub/admin-token).';

function readTokenFile(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(`Cannot read the admin token file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const t = text.trim();
  if (!t) throw new CliError(`The admin token file ${file} is empty.`);
  return t;
}

/**
 * The admin token, never from the command line (any user on the machine sees a command line):
 * TEAMHUB_ADMIN_TOKEN, else a file (--admin-token-file, TEAMHUB_ADMIN_TOKEN_FILE, or the one
 * `make run` keeps in its data dir when the command runs next to it).
 */
function findAdminToken(opts: AdminOpts): string | undefined {
  const fromEnv = process.env.TEAMHUB_ADMIN_TOKEN?.trim();
  if (fromEnv) return fromEnv;
  const file = opts.adminTokenFile ?? process.env.TEAMHUB_ADMIN_TOKEN_FILE;
  if (file) return readTokenFile(file);
  const local = path.join(process.env.TEAMHUB_DATA_DIR || '.teamhub', 'admin-token');
  return existsSync(local) ? readTokenFile(local) : undefined;
}

function adminToken(opts: AdminOpts): string {
  const t = findAdminToken(opts);
  if (!t) throw new CliError(ADMIN_TOKEN_NEEDED);
  return t;
}

const admin = <T>(path: string, opts: AdminOpts, method = 'GET', body?: unknown) =>
  hubRequest<T>(resolveClientConfig().apiUrl, path, { bearer: adminToken(opts), method, body });

type Ns = Record<string, unknown>;
const nsPath = (name: string) => `/admin/v1/namespaces/${encodeURIComponent(name)}`;

function printToken(res: { namespace?: Ns; token?: string }, opts: AdminOpts, verb: string): void {
  if (opts.json) return void console.log(JSON.stringify(res, null, 2));
  console.log(`Namespace ${str(res.namespace?.name)} ${verb}. Its token (shown once, store it now):`);
  console.log(str(res.token));
}

export function registerAdminCommands(program: Command): void {
  const withAdmin = (c: Command) =>
    c.option('--admin-token-file <path>', 'file holding the admin token (default: $TEAMHUB_ADMIN_TOKEN, $TEAMHUB_ADMIN_TOKEN_FILE, .teamhub/admin-token)').option('--json', 'JSON output');
  const ns = program.command('namespace').description('manage registered namespaces (admin)');
  withAdmin(ns.command('create <name>').option('--label <label>', 'a human label')).action(
    async (name: string, opts: AdminOpts & { label?: string }) => {
      const res = await admin<{ namespace?: Ns; token?: string }>('/admin/v1/namespaces', opts, 'POST', { name, label: opts.label ?? '' });
      printToken(res, opts, 'created');
    },
  );
  withAdmin(ns.command('list')).action(async (opts: AdminOpts) => {
    const [res, overview] = await Promise.all([admin<{ namespaces?: Ns[] }>('/admin/v1/namespaces', opts), admin<{ namespaces?: Ns[] }>('/admin/v1/overview', opts)]);
    // Counts only (sessions, messages, machines, last activity), never content.
    const list = mergeOverview(res?.namespaces ?? [], overview?.namespaces ?? []);
    if (opts.json) return void console.log(JSON.stringify(list, null, 2));
    console.log(overviewTable(list));
  });
  withAdmin(ns.command('rotate <name>')).action(async (name: string, opts: AdminOpts) => {
    printToken(await admin(nsPath(name) + '/rotate', opts, 'POST', {}), opts, 'rotated');
  });
  withAdmin(ns.command('revoke <name>')).action(async (name: string, opts: AdminOpts) => {
    const res = await admin<{ namespace?: Ns }>(nsPath(name) + '/revoke', opts, 'POST', {});
    if (opts.json) return void console.log(JSON.stringify(res, null, 2));
    console.log(`Namespace ${name} revoked.`);
  });

  withAdmin(program.command('audit').description('show the audit log (admin: all namespaces; else your own)'))
    .option('--namespace <ns>', 'only this namespace (admin)')
    .option('--limit <n>', 'at most n entries', '50')
    .action(async (opts: AdminOpts & { namespace?: string; limit: string }) => {
      const q = new URLSearchParams({ limit: String(Number.parseInt(opts.limit, 10) || 50) });
      let res: { entries?: Record<string, unknown>[] };
      const token = findAdminToken(opts);
      if (token) {
        if (opts.namespace) q.set('namespace', opts.namespace);
        res = await hubRequest(resolveClientConfig().apiUrl, `/admin/v1/audit?${q}`, { bearer: token });
      } else {
        if (opts.namespace) throw new CliError('--namespace needs the admin token; without it you see your own namespace.');
        const cfg = resolveClientConfig();
        const jwt = await webLogin(cfg.apiUrl, requireToken(cfg));
        res = await hubRequest(cfg.apiUrl, `/api/audit?${q}`, { bearer: jwt });
      }
      const entries = res?.entries ?? [];
      if (opts.json) return void console.log(JSON.stringify(entries, null, 2));
      const rows = entries.map((e) => [fmtTime(e.at), str(e.action), str(e.namespace), str(e.outcome), str(e.actor), str(e.clientAddr), str(e.detail)]);
      console.log(rows.length ? formatTable(['AT', 'ACTION', 'NAMESPACE', 'OUTCOME', 'ACTOR', 'CLIENT', 'DETAIL'], rows) : 'No audit entries.');
    });

  const machine = program.command('machine').description('hub machine administration (admin)');
  withAdmin(machine.command('forget <id>').description('forget a machine id so another namespace may use it')).action(
    async (id: string, opts: AdminOpts) => {
      const res = await admin<{ forgotten?: boolean }>(`/admin/v1/machines/${encodeURIComponent(id)}`, opts, 'DELETE');
      if (opts.json) return void console.log(JSON.stringify(res, null, 2));
      console.log(res?.forgotten === false ? `Machine ${id} was not known to the hub.` : `Machine ${id} forgotten.`);
    },
  );
}
