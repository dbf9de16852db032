// Hub administration with the admin token: namespaces, audit log, forgetting a machine id.
import type { Command } from 'commander';
import { CliError } from '../errors.js';
import { hubRequest, webLogin } from '../http.js';
import { requireToken, resolveClientConfig } from '../settings.js';
import { fmtTime, formatTable, str } from '../table.js';

interface AdminOpts {
  adminToken?: string;
  json?: boolean;
}

function adminToken(opts: AdminOpts): string {
  const t = opts.adminToken ?? process.env.TEAMHUB_ADMIN_TOKEN;
  if (!t) throw new CliError('An admin token is needed: pass --admin-token or set TEAMHUB_ADMIN_TOKEN.');
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
    c.option('--admin-token <token>', 'admin token (default: $TEAMHUB_ADMIN_TOKEN)').option('--json', 'JSON output');
  const ns = program.command('namespace').description('manage registered namespaces (admin)');
  withAdmin(ns.command('create <name>').option('--label <label>', 'a human label')).action(
    async (name: string, opts: AdminOpts & { label?: string }) => {
      const res = await admin<{ namespace?: Ns; token?: string }>('/admin/v1/namespaces', opts, 'POST', { name, label: opts.label ?? '' });
      printToken(res, opts, 'created');
    },
  );
  withAdmin(ns.command('list')).action(async (opts: AdminOpts) => {
    const res = await admin<{ namespaces?: Ns[] }>('/admin/v1/namespaces', opts);
    const list = res?.namespaces ?? [];
    if (opts.json) return void console.log(JSON.stringify(list, null, 2));
    const rows = list.map((n) => [str(n.name), str(n.label), n.revoked ? 'revoked' : 'active', fmtTime(n.createdAt), fmtTime(n.lastUsedAt)]);
    console.log(rows.length ? formatTable(['NAME', 'LABEL', 'STATE', 'CREATED', 'LAST USED'], rows) : 'No namespaces.');
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
      if (opts.adminToken ?? process.env.TEAMHUB_ADMIN_TOKEN) {
        if (opts.namespace) q.set('namespace', opts.namespace);
        res = await admin(`/admin/v1/audit?${q}`, opts);
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
