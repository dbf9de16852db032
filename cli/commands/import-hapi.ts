// `teamhub import-hapi <HAPI_HOME | hapi.db>`: an existing HAPI hub's sessions, messages,
// machines and Telegram bindings, each into its namespace, written through the running hub's
// admin import API (gateway/routes/admin-ops.ts). Through the services rather than into stopped
// store files: the import then follows the services' own rules (a machine id stays in the
// namespace that has it, unique ids, the seq counter continues after imported messages) on
// either store (SQLite or MongoDB) without knowing their files, and a second run adds nothing.
import type { Command } from 'commander';
import { requireAdminToken, type AdminTokenOptions } from '../admin-token.js';
import { CliError } from '../errors.js';
import { hubRequest } from '../http.js';
import { resolveClientConfig } from '../settings.js';
import { HapiDatabase, HapiDbError, hapiDbPath } from '../../lib/ops/hapi-db.js';

/** Messages per import request (the hub accepts at most 500). */
const MESSAGE_PAGE = 500;

interface Tally {
  sessions: number;
  messages: number;
  machines: number;
  telegramBindings: number;
}

export async function importHapi(source: string, apiUrl: string, adminToken: string, say: (line: string) => void): Promise<{ added: Tally; seen: Tally }> {
  let db: HapiDatabase;
  try {
    db = new HapiDatabase(hapiDbPath(source));
  } catch (err) {
    if (err instanceof HapiDbError) throw new CliError(err.message);
    throw err;
  }
  const post = <T>(path: string, body: unknown) => hubRequest<T>(apiUrl, path, { bearer: adminToken, body, timeoutMs: 60_000 });
  const added: Tally = { sessions: 0, messages: 0, machines: 0, telegramBindings: 0 };
  const seen: Tally = { sessions: 0, messages: 0, machines: 0, telegramBindings: 0 };
  try {
    const total = db.counts();
    say(`importing ${db.file}: ${total.sessions} sessions, ${total.messages} messages, ${total.machines} machines, ${total.telegramBindings} Telegram bindings`);
    for (const { namespace, machine } of db.machines()) {
      const r = await post<{ created: boolean }>('/admin/v1/import/machine', { namespace, machine });
      seen.machines += 1;
      if (r.created) added.machines += 1;
    }
    say(`  machines: ${seen.machines}/${total.machines} (${added.machines} new)`);
    for (const { namespace, session } of db.sessions()) {
      const r = await post<{ created: boolean }>('/admin/v1/import/session', { namespace, session });
      seen.sessions += 1;
      if (r.created) added.sessions += 1;
      for (const page of db.messagePages(session.id, MESSAGE_PAGE)) {
        const m = await post<{ added: number }>('/admin/v1/import/messages', { namespace, sessionId: session.id, messages: page });
        seen.messages += page.length;
        added.messages += m.added;
      }
      say(`  sessions: ${seen.sessions}/${total.sessions}, messages: ${seen.messages}/${total.messages} (${added.sessions} sessions and ${added.messages} messages new)`);
    }
    for (const b of db.telegramBindings()) {
      const r = await post<{ created: boolean }>('/admin/v1/import/telegram-binding', b);
      seen.telegramBindings += 1;
      if (r.created) added.telegramBindings += 1;
    }
    say(`  Telegram bindings: ${seen.telegramBindings}/${total.telegramBindings} (${added.telegramBindings} new)`);
  } finally {
    db.close();
  }
  return { added, seen };
}

export function registerImportHapiCommand(program: Command): void {
  program
    .command('import-hapi')
    .description("import a HAPI 0.30.x hub's sessions, messages, machines and Telegram bindings into this hub (admin; running it again adds nothing)")
    .argument('<source>', "the HAPI hub's HAPI_HOME directory, or its hapi.db")
    .option('--admin-token-file <path>', 'file holding the admin token (default: $TEAMHUB_ADMIN_TOKEN)')
    .action(async (source: string, opts: AdminTokenOptions) => {
      const token = requireAdminToken(opts);
      const { added } = await importHapi(source, resolveClientConfig().apiUrl, token, (line) => process.stderr.write(`${line}\n`));
      process.stderr.write(
        `Imported ${added.sessions} sessions, ${added.messages} messages, ${added.machines} machines, ${added.telegramBindings} Telegram bindings (already present ones were skipped).\n`,
      );
    });
}
