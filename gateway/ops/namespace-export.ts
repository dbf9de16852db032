import { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import type { CallContext } from '../../lib/context.js';
import type { ServiceClients } from '../deps.js';
import { toHapiMachine } from '../hapi/machine-view.js';
import { toHapiMessage, toHapiSession } from '../hapi/session-view.js';

/** Messages read per call while an export is written: one page in memory at a time. */
const PAGE = 200;
export const EXPORT_FORMAT = 'teamhub-namespace-export';
export const EXPORT_VERSION = 1;

/**
 * One namespace's data as JSON Lines, in this order: a header line, each session (HAPI's session
 * JSON) followed by all of its messages (HAPI's message JSON, oldest first, every message,
 * queued ones too: this is the namespace's data, not a transcript), then each machine, then an
 * `end` line with the counts, so a reader can tell a complete file from a cut one.
 */
async function* exportLines(clients: ServiceClients, ctx: CallContext, now: number): AsyncGenerator<string> {
  yield `${JSON.stringify({ type: 'export', format: EXPORT_FORMAT, version: EXPORT_VERSION, namespace: ctx.namespace, exportedAt: now })}\n`;
  const counts = { sessions: 0, messages: 0, machines: 0 };
  const { sessions } = await clients.session.call('listSessions', {}, ctx);
  for (const s of sessions) {
    counts.sessions += 1;
    yield `${JSON.stringify({ type: 'session', session: toHapiSession(s) })}\n`;
    let afterSeq = 0;
    for (;;) {
      const page = await clients.session.call('listMessages', { sessionId: s.id, afterSeq, limit: PAGE }, ctx);
      if (page.messages.length > 0) {
        counts.messages += page.messages.length;
        yield page.messages.map((m) => `${JSON.stringify({ type: 'message', sessionId: s.id, message: toHapiMessage(m) })}\n`).join('');
      }
      const last = page.messages.at(-1);
      if (!page.hasMore || !last) break;
      afterSeq = last.seq;
    }
  }
  const { machines } = await clients.machine.call('listMachines', { activeOnly: false }, ctx);
  for (const m of machines) {
    counts.machines += 1;
    yield `${JSON.stringify({ type: 'machine', machine: toHapiMachine(m) })}\n`;
  }
  yield `${JSON.stringify({ type: 'end', ...counts })}\n`;
}

/**
 * Streams `ctx.namespace`'s export as the reply (application/x-ndjson, a download). Pages are
 * fetched as the client reads (the stream's backpressure), so any size costs the same memory.
 */
export function sendNamespaceExport(reply: FastifyReply, clients: ServiceClients, ctx: CallContext): FastifyReply {
  const now = Date.now();
  ctx.log.info('namespace export started');
  const stream = Readable.from(exportLines(clients, ctx, now), { objectMode: false });
  stream.on('error', (err) => ctx.log.warn({ err }, 'namespace export failed while streaming'));
  stream.on('end', () => ctx.log.info('namespace export finished'));
  const file = `teamhub-export-${new Date(now).toISOString().slice(0, 10)}.jsonl`;
  return reply.type('application/x-ndjson; charset=utf-8').header('content-disposition', `attachment; filename="${file}"`).header('cache-control', 'no-store').send(stream);
}
