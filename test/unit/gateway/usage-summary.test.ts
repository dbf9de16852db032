import { expect } from 'chai';
import { isTimeZone, parseRange, SessionUsage, usageSummary, type UsageMessage, type UsageSession } from '../../../gateway/hapi/usage-summary.js';

const DAY = 24 * 60 * 60 * 1000;
const NOW = Date.UTC(2026, 11, 1, 12, 0, 0);

let seq = 0;
function msg(content: unknown, createdAt = NOW - 1000, localId: string | null = null): UsageMessage {
  seq += 1;
  return { id: `m${seq}`, seq, createdAt, localId, content };
}
const claude = (id: string, model: string, usage: Record<string, number>, createdAt?: number) =>
  msg({ role: 'agent', content: { type: 'output', data: { type: 'assistant', message: { id, model, usage } } } }, createdAt);
const codexCount = (total: Record<string, number>, last: Record<string, number>, turnId = '', createdAt?: number) =>
  msg({ role: 'agent', content: { type: 'codex', data: { type: 'token_count', turnId, info: { total_token_usage: total, last_token_usage: last } } } }, createdAt);

function eventsOf(session: UsageSession, messages: UsageMessage[]) {
  const u = new SessionUsage();
  for (const m of messages) u.add(session, m);
  return u.events();
}

describe('gateway: the usage summary from agents\' messages (HAPI\'s rules)', () => {
  const claudeSession: UsageSession = { id: 's-claude', metadata: { flavor: 'claude' }, model: 'sonnet' };
  const codexSession: UsageSession = { id: 's-codex', metadata: { flavor: 'codex' }, model: 'gpt-5' };

  it('when Claude reports usage, then input counts the cache reads too (its input excludes them), and a repeated provider id counts once', () => {
    const events = eventsOf(claudeSession, [
      claude('msg_1', 'claude-x', { input_tokens: 100, output_tokens: 20, cache_read_input_tokens: 50 }),
      claude('msg_1', 'claude-x', { input_tokens: 100, output_tokens: 30, cache_read_input_tokens: 50 }),
      msg({ role: 'user', content: { type: 'text', text: 'hi' } }),
    ]);
    const s = usageSummary(events, '7d', 'UTC', NOW);
    expect(s.totals).to.deep.include({ inputTokens: 150, outputTokens: 30, cacheReadTokens: 50, requests: 1, sessions: 1, uncachedTokens: 130 });
    expect(s.byModel).to.deep.equal([{ key: 'claude-x', inputTokens: 150, outputTokens: 30, cacheReadTokens: 50, cacheCreationTokens: 0, totalTokens: 180, uncachedTokens: 130, requests: 1 }]);
    expect(s.byAgent.map((b) => b.key)).to.deep.equal(['claude']);
  });

  it('when Codex reports running totals, then each turn counts its growth, and a counter that went down counts its own last figures', () => {
    const events = eventsOf(codexSession, [
      codexCount({ input_tokens: 100, output_tokens: 10 }, { input_tokens: 100, output_tokens: 10 }, 't1'),
      codexCount({ input_tokens: 250, output_tokens: 30 }, { input_tokens: 150, output_tokens: 20 }, 't2'),
      codexCount({ input_tokens: 40, output_tokens: 5 }, { input_tokens: 40, output_tokens: 5 }, 't3'),
    ]);
    const s = usageSummary(events, 'all', 'UTC', NOW);
    expect(s.totals).to.deep.include({ inputTokens: 100 + 150 + 40, outputTokens: 10 + 20 + 5, requests: 3 });
    expect(s.byModel.map((b) => b.key)).to.deep.equal(['gpt-5']);
  });

  it('when usage is older than the range, then it is left out; days are counted in the caller\'s time zone', () => {
    const events = eventsOf(claudeSession, [
      claude('old', 'm', { input_tokens: 1, output_tokens: 1 }, NOW - 10 * DAY),
      claude('late', 'm', { input_tokens: 2, output_tokens: 2 }, Date.UTC(2026, 10, 30, 23, 30)),
    ]);
    expect(usageSummary(events, '7d', 'UTC', NOW).totals.requests).to.equal(1);
    expect(usageSummary(events, '30d', 'UTC', NOW).totals.requests).to.equal(2);
    expect(usageSummary(events, '7d', 'UTC', NOW).daily.map((d) => d.key)).to.deep.equal(['2026-11-30']);
    expect(usageSummary(events, '7d', 'Europe/Berlin', NOW).daily.map((d) => d.key)).to.deep.equal(['2026-12-01']);
  });

  it('when the query names an odd range or time zone, then the range is 7 days and the zone refused', () => {
    expect(parseRange('90d')).to.equal('7d');
    expect(parseRange('all')).to.equal('all');
    expect(isTimeZone('Europe/Berlin')).to.equal(true);
    expect(isTimeZone('Mars/Olympus')).to.equal(false);
    expect(isTimeZone(`Europe/${'x'.repeat(100)}`)).to.equal(false);
  });
});
