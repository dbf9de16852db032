import type { CallContext } from '../../lib/context.js';
import type { Session } from '../../lib/gen/teamhub/session/v1/session.js';
import type { Namespace } from '../../lib/namespace.js';
import type { GatewayDeps } from '../deps.js';
import { SessionUsage, type UsageEvent, type UsageSession } from '../hapi/usage-summary.js';

/** The session service's largest page. */
const PAGE = 200;
/** Sessions whose scanned messages this replica keeps (least recently used dropped first). */
const CACHE_SESSIONS = 2_000;

interface Scanned {
  namespace: Namespace;
  /** The highest seq read; the next scan reads only what came after. */
  lastSeq: number;
  usage: SessionUsage;
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

const toUsageSession = (s: Session): UsageSession => {
  const metadata = parseJson(s.metadataJson);
  return { id: s.id, metadata: metadata !== null && typeof metadata === 'object' && !Array.isArray(metadata) ? (metadata as Record<string, unknown>) : null, model: s.model?.trim() || null };
};

/**
 * Reads the usage of a namespace's sessions from their messages over the session service, as
 * HAPI's usage summary does from its own database. Each session's usage events are kept (not its
 * messages), so the next summary reads just the messages added since (a session whose last seq
 * went down, a rewind, is read again from the start).
 */
export class UsageScanner {
  private readonly cache = new Map<string, Scanned>();

  constructor(private readonly clients: Pick<GatewayDeps['clients'], 'session'>) {}

  async events(ctx: CallContext): Promise<UsageEvent[]> {
    const { sessions } = await this.clients.session.call('listSessions', {}, ctx);
    const out: UsageEvent[] = [];
    for (const s of sessions) out.push(...(await this.usageOf(ctx, s)).events());
    return out;
  }

  /** One session's usage, read incrementally. */
  private async usageOf(ctx: CallContext, s: Session): Promise<SessionUsage> {
    const session = toUsageSession(s);
    let scanned = this.cache.get(s.id);
    if (!scanned || scanned.namespace !== ctx.namespace || s.lastMessageSeq < scanned.lastSeq) scanned = { namespace: ctx.namespace, lastSeq: 0, usage: new SessionUsage() };
    this.cache.delete(s.id);
    while (scanned.lastSeq < s.lastMessageSeq) {
      const page = await this.clients.session.call('listMessages', { sessionId: s.id, afterSeq: scanned.lastSeq, limit: PAGE }, ctx);
      for (const m of page.messages) {
        scanned.lastSeq = Math.max(scanned.lastSeq, m.seq);
        // Only agent messages carry usage: the rest is not even parsed.
        if (!m.contentJson.includes('"agent"')) continue;
        scanned.usage.add(session, { id: m.id, seq: m.seq, createdAt: m.createdAt, localId: m.localId ?? null, content: parseJson(m.contentJson) });
      }
      if (!page.hasMore || page.messages.length === 0) break;
    }
    this.cache.set(s.id, scanned);
    while (this.cache.size > CACHE_SESSIONS) this.cache.delete(this.cache.keys().next().value!);
    return scanned.usage;
  }
}
