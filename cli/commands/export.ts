// `teamhub export`: a namespace's sessions, messages and machines as JSON Lines, streamed.
import { createWriteStream } from 'node:fs';
import { Writable } from 'node:stream';
import type { Command } from 'commander';
import { requireAdminToken, type AdminTokenOptions } from '../admin-token.js';
import { CliError, HttpError } from '../errors.js';
import { webLogin } from '../http.js';
import { requireToken, resolveClientConfig } from '../settings.js';

interface ExportOpts extends AdminTokenOptions {
  namespace?: string;
  output?: string;
}

/**
 * Streams the export to `out` as it arrives (constant memory whatever its size) and checks the
 * last line is the `end` line, so a cut connection is an error rather than a short file.
 */
async function streamExport(url: string, bearer: string, out: Writable): Promise<{ sessions: number; messages: number; machines: number }> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${bearer}`, accept: 'application/x-ndjson' } }).catch((err: unknown) => {
    throw new CliError(`Cannot reach the hub at ${url} (${(err as { cause?: { code?: string } }).cause?.code ?? String(err)}).`);
  });
  if (!res.ok || !res.body) {
    const text = await res.text();
    let error = '';
    try {
      error = (JSON.parse(text) as { error?: string }).error ?? '';
    } catch {
      error = text.slice(0, 200);
    }
    throw new HttpError(res.status, error, `GET ${new URL(url).pathname}`);
  }
  let tail = '';
  const decoder = new TextDecoder();
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    if (!out.write(chunk)) await new Promise((r) => out.once('drain', r));
    tail = (tail + decoder.decode(chunk, { stream: true })).slice(-4096);
  }
  const last = tail.trimEnd().split('\n').at(-1) ?? '';
  let end: { type?: string; sessions?: number; messages?: number; machines?: number } = {};
  try {
    end = JSON.parse(last) as typeof end;
  } catch {
    // checked below
  }
  if (end.type !== 'end') throw new CliError('The export ended early (no end line): the connection was cut or the hub failed; run it again.');
  return { sessions: end.sessions ?? 0, messages: end.messages ?? 0, machines: end.machines ?? 0 };
}

export function registerExportCommand(program: Command): void {
  program
    .command('export')
    .description("export your namespace's sessions, messages and machines as JSON Lines (--namespace: any namespace, with the admin token)")
    .option('--namespace <name>', 'export this namespace (admin)')
    .option('-o, --output <file>', 'write to this file instead of stdout')
    .option('--admin-token-file <path>', 'file holding the admin token (default: $TEAMHUB_ADMIN_TOKEN)')
    .action(async (opts: ExportOpts) => {
      const cfg = resolveClientConfig();
      let url: string;
      let bearer: string;
      if (opts.namespace !== undefined) {
        bearer = requireAdminToken(opts);
        url = `${cfg.apiUrl}/admin/v1/namespaces/${encodeURIComponent(opts.namespace)}/export`;
      } else {
        bearer = await webLogin(cfg.apiUrl, requireToken(cfg));
        url = `${cfg.apiUrl}/api/export`;
      }
      const out = opts.output ? createWriteStream(opts.output, { mode: 0o600 }) : process.stdout;
      const counts = await streamExport(url, bearer, out);
      if (opts.output) await new Promise<void>((resolve, reject) => (out as ReturnType<typeof createWriteStream>).end((err?: Error | null) => (err ? reject(err) : resolve())));
      process.stderr.write(`Exported ${counts.sessions} sessions, ${counts.messages} messages, ${counts.machines} machines${opts.output ? ` to ${opts.output}` : ''}.\n`);
    });
}
