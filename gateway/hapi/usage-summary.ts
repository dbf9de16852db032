/**
 * HAPI's token usage summary: the usage each agent reported in its messages
 * (Claude's `assistant` usage, Codex/others' `token_count` or `usage` events), summed by day (in
 * the caller's time zone), agent and model. Reading message content is reading HAPI's wire format,
 * so it lives here; the session service keeps content opaque.
 */

export interface UsageSession {
  id: string;
  metadata: Record<string, unknown> | null;
  model: string | null;
}

export interface UsageMessage {
  id: string;
  seq: number;
  createdAt: number;
  localId: string | null;
  content: unknown;
}

export interface UsageEvent {
  sessionId: string;
  sourceKey: string;
  sourceSeq: number;
  createdAt: number;
  agent: string;
  model: string | null;
  kind: 'delta' | 'cumulative';
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheCreationTokens: number;
  lastInputTokens: number | null;
  lastOutputTokens: number | null;
  lastCacheReadTokens: number | null;
  lastCacheCreationTokens: number | null;
}

interface Totals {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheCreationTokens: number;
  totalTokens: number;
  uncachedTokens: number;
  requests: number;
}

export type UsageRange = '7d' | '30d' | 'all';

const asRecord = (v: unknown): Record<string, unknown> | null => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null);
const asCount = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.floor(v) : null);

function firstCount(r: Record<string, unknown>, ...keys: string[]): number {
  for (const k of keys) {
    const v = asCount(r[k]);
    if (v !== null) return v;
  }
  return 0;
}

function normalizeInput(data: Record<string, unknown>, input: number, cacheRead: number, cacheCreation: number, legacy: 'includes-cache' | 'excludes-cache'): number {
  const declared = data.usageSchema === 'hapi.usage.v1' && (data.inputTokenSemantics === 'includes-cache' || data.inputTokenSemantics === 'excludes-cache') ? data.inputTokenSemantics : null;
  return (declared ?? legacy) === 'excludes-cache' ? input + cacheRead + cacheCreation : input;
}

function sessionAgent(s: UsageSession): string {
  const flavor = s.metadata?.flavor;
  return typeof flavor === 'string' && flavor.trim() ? flavor.trim() : 'unknown';
}

/** The usage one message reports, or null. */
export function parseUsageEvent(session: UsageSession, message: UsageMessage): UsageEvent | null {
  const envelope = asRecord(message.content);
  if (envelope?.role !== 'agent') return null;
  const payload = asRecord(envelope.content);
  const data = asRecord(payload?.data);
  if (!payload || !data) return null;
  if (payload.type === 'output' && data.type === 'assistant') {
    const assistant = asRecord(data.message);
    const usage = asRecord(assistant?.usage);
    if (!usage) return null;
    const inputTokens = firstCount(usage, 'input_tokens', 'inputTokens');
    const outputTokens = firstCount(usage, 'output_tokens', 'outputTokens');
    const cacheReadTokens = firstCount(usage, 'cache_read_input_tokens', 'cacheReadTokens', 'cachedInputTokens');
    const cacheCreationTokens = firstCount(usage, 'cache_creation_input_tokens', 'cacheCreationTokens', 'cacheWriteInputTokens');
    if (inputTokens + outputTokens + cacheReadTokens + cacheCreationTokens <= 0) return null;
    const providerId = typeof assistant?.id === 'string' ? assistant.id : message.id;
    const model = typeof assistant?.model === 'string' && assistant.model.trim() ? assistant.model.trim() : null;
    return {
      sessionId: session.id,
      sourceKey: `claude|${providerId}`,
      sourceSeq: message.seq,
      createdAt: message.createdAt,
      agent: 'claude',
      model,
      kind: 'delta',
      inputTokens: normalizeInput(data, inputTokens, cacheReadTokens, cacheCreationTokens, 'excludes-cache'),
      outputTokens,
      cacheReadTokens,
      cacheCreationTokens,
      lastInputTokens: null,
      lastOutputTokens: null,
      lastCacheReadTokens: null,
      lastCacheCreationTokens: null,
    };
  }
  if (data.type !== 'token_count' && data.type !== 'usage') return null;
  if (data.hapiUsageScope === 'imported-history') return null;
  const info = asRecord(data.info) ?? data;
  const agent = sessionAgent(session);
  const explicitThreadId = typeof data.threadId === 'string' ? data.threadId : typeof data.thread_id === 'string' ? data.thread_id : null;
  const importedCodex = typeof session.metadata?.codexSourceSessionId === 'string' || session.metadata?.lifecycleState === 'imported';
  if (agent === 'codex' && explicitThreadId === null && importedCodex) return null;
  const cumulativeTotal = agent === 'codex' ? (asRecord(info.total) ?? asRecord(info.total_token_usage) ?? asRecord(info.totalTokenUsage)) : null;
  const last = asRecord(info.last) ?? asRecord(info.last_token_usage) ?? asRecord(info.lastTokenUsage) ?? (data.type === 'usage' ? info : null);
  const total = cumulativeTotal ?? (agent === 'codex' ? last : (asRecord(info.total) ?? info));
  if (!total) return null;
  const rawInput = firstCount(total, 'inputTokens', 'input_tokens');
  const outputTokens = firstCount(total, 'outputTokens', 'output_tokens');
  const cacheReadTokens = firstCount(total, 'cachedInputTokens', 'cached_input_tokens', 'cacheReadTokens', 'cache_read_input_tokens');
  const cacheCreationTokens = firstCount(total, 'cacheWriteInputTokens', 'cache_write_input_tokens', 'cacheCreationTokens', 'cache_creation_input_tokens');
  if (rawInput + outputTokens + cacheReadTokens + cacheCreationTokens <= 0) return null;
  const threadId = explicitThreadId ?? session.id;
  const scope = typeof data.scopeRole === 'string' ? data.scopeRole : typeof data.scope_role === 'string' ? data.scope_role : 'parent';
  const isCumulative = cumulativeTotal !== null;
  const turnId = typeof data.turnId === 'string' ? data.turnId : typeof data.turn_id === 'string' ? data.turn_id : '';
  const model = typeof data.model === 'string' && data.model.trim() ? data.model.trim() : null;
  const legacy =
    agent === 'codex' || agent === 'kimi' || (agent === 'pi' && message.localId?.startsWith('pi:')) || Object.prototype.hasOwnProperty.call(data, 'model') ? 'includes-cache' : 'excludes-cache';
  const inputTokens = normalizeInput(data, rawInput, cacheReadTokens, cacheCreationTokens, legacy);
  const lastOutputTokens = last ? firstCount(last, 'outputTokens', 'output_tokens') : null;
  const lastCacheReadTokens = last ? firstCount(last, 'cachedInputTokens', 'cached_input_tokens', 'cacheReadTokens', 'cache_read_input_tokens') : null;
  const lastCacheCreationTokens = last ? firstCount(last, 'cacheWriteInputTokens', 'cache_write_input_tokens', 'cacheCreationTokens', 'cache_creation_input_tokens') : null;
  const lastInputTokens = last ? normalizeInput(data, firstCount(last, 'inputTokens', 'input_tokens'), lastCacheReadTokens ?? 0, lastCacheCreationTokens ?? 0, legacy) : null;
  return {
    sessionId: session.id,
    sourceKey: isCumulative ? ['cumulative', threadId, scope, turnId, inputTokens, outputTokens, cacheReadTokens, cacheCreationTokens].join('|') : `delta|${message.id}`,
    sourceSeq: message.seq,
    createdAt: message.createdAt,
    agent,
    model,
    kind: isCumulative ? 'cumulative' : 'delta',
    inputTokens,
    outputTokens,
    cacheReadTokens,
    cacheCreationTokens,
    lastInputTokens,
    lastOutputTokens,
    lastCacheReadTokens,
    lastCacheCreationTokens,
  };
}

/**
 * One session's usage events, fed its messages in seq order (all at once or a few at a time): one
 * event per source key (a later delta replaces an earlier one; a cumulative snapshot keeps its
 * first report), the model falling back to the last one seen for the key, then the session's.
 */
export class SessionUsage {
  private readonly byKey = new Map<string, UsageEvent>();

  add(session: UsageSession, message: UsageMessage): void {
    const e = parseUsageEvent(session, message);
    if (!e) return;
    const existing = this.byKey.get(e.sourceKey);
    const explicitModel = e.model;
    e.model = explicitModel ?? existing?.model ?? session.model;
    if (e.kind === 'delta' || !existing) this.byKey.set(e.sourceKey, e);
    else if (explicitModel !== null) existing.model = explicitModel;
  }

  events(): UsageEvent[] {
    return [...this.byKey.values()];
  }
}

const emptyTotals = (): Totals => ({ inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheCreationTokens: 0, totalTokens: 0, uncachedTokens: 0, requests: 0 });

function add(t: Totals, input: number, output: number, cacheRead: number, cacheCreation: number): void {
  t.inputTokens += input;
  t.outputTokens += output;
  t.cacheReadTokens += cacheRead;
  t.cacheCreationTokens += cacheCreation;
  t.totalTokens += input + output;
  t.uncachedTokens += Math.max(0, input - cacheRead) + output;
  t.requests += 1;
}

/** Is this a time zone the runtime knows (and of a sane length)? */
export function isTimeZone(tz: string): boolean {
  if (tz.length > 100) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

function dayFormatter(timeZone: string): (ts: number) => string {
  const f = new Intl.DateTimeFormat('en-CA', { timeZone, calendar: 'iso8601', numberingSystem: 'latn', year: 'numeric', month: '2-digit', day: '2-digit' });
  return (ts) => {
    const parts = f.formatToParts(new Date(ts));
    const get = (type: string) => parts.find((p) => p.type === type)?.value;
    return `${get('year')}-${get('month')}-${get('day')}`;
  };
}

/** HAPI's `range` query: 30d and all as named, anything else the last 7 days. */
export function parseRange(raw: unknown): UsageRange {
  return raw === '30d' || raw === 'all' ? raw : '7d';
}

/** HAPI's summary body from every usage event of a namespace's sessions. */
export function usageSummary(events: UsageEvent[], range: UsageRange, timeZone: string, now: number) {
  const days = range === '30d' ? 30 : range === 'all' ? null : 7;
  const from = days === null ? null : now - days * 24 * 60 * 60 * 1000;
  const sorted = [...events].sort((a, b) => a.createdAt - b.createdAt || a.sourceSeq - b.sourceSeq);
  const totals = emptyTotals();
  const daily = new Map<string, Totals>();
  const byAgent = new Map<string, Totals>();
  const byModel = new Map<string, Totals>();
  const sessions = new Set<string>();
  const previous = new Map<string, number[]>();
  const fingerprints = new Set<string>();
  const day = dayFormatter(timeZone);
  for (const e of sorted) {
    let [input, output, cacheRead, cacheCreation] = [e.inputTokens, e.outputTokens, e.cacheReadTokens, e.cacheCreationTokens];
    let duplicate = false;
    if (e.kind === 'cumulative') {
      const parts = e.sourceKey.split('|');
      const stream = parts.slice(0, 3).join('|');
      const prev = previous.get(stream) ?? null;
      const current = [e.inputTokens, e.outputTokens, e.cacheReadTokens, e.cacheCreationTokens];
      const last =
        e.lastInputTokens !== null && e.lastOutputTokens !== null && e.lastCacheReadTokens !== null && e.lastCacheCreationTokens !== null
          ? [e.lastInputTokens, e.lastOutputTokens, e.lastCacheReadTokens, e.lastCacheCreationTokens]
          : null;
      // A counter that went down was reset: the snapshot's own "last" figures are the delta.
      const reset = prev === null || current.some((v, i) => v < prev[i]!);
      const delta = reset ? (last ?? current) : current.map((v, i) => v - prev[i]!);
      [input, output, cacheRead, cacheCreation] = delta as [number, number, number, number];
      previous.set(stream, current);
      const turnId = parts[3];
      if (turnId) {
        const fp = [e.sessionId, turnId, ...current, e.lastInputTokens, e.lastOutputTokens, e.lastCacheReadTokens, e.lastCacheCreationTokens].join('|');
        duplicate = fingerprints.has(fp);
        fingerprints.add(fp);
      }
    }
    const inRange = (from === null || e.createdAt >= from) && e.createdAt <= now;
    if (duplicate || !inRange || input + output + cacheRead + cacheCreation <= 0) continue;
    if (cacheRead + cacheCreation > input) [cacheRead, cacheCreation] = [0, 0];
    add(totals, input, output, cacheRead, cacheCreation);
    for (const [map, key] of [[daily, day(e.createdAt)], [byAgent, e.agent], [byModel, e.model ?? 'unknown']] as const) {
      const t = map.get(key) ?? emptyTotals();
      add(t, input, output, cacheRead, cacheCreation);
      map.set(key, t);
    }
    sessions.add(e.sessionId);
  }
  const buckets = (m: Map<string, Totals>) => [...m].map(([key, t]) => ({ key, ...t }));
  return {
    range: { from, to: now },
    totals: { ...totals, sessions: sessions.size },
    daily: buckets(daily).sort((a, b) => a.key.localeCompare(b.key)),
    byAgent: buckets(byAgent).sort((a, b) => b.totalTokens - a.totalTokens),
    byModel: buckets(byModel).sort((a, b) => b.totalTokens - a.totalTokens),
    updatedAt: now,
  };
}
