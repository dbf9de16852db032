import { expect } from 'chai';
import { bytePrefix, encodeCallbackData, parseCallbackData, uniqueByPrefix } from '../../../services/notify/telegram/callback-data.js';
import { isReadyEvent, pendingRequests } from '../../../services/notify/session-view.js';
import { toSessionView } from '../../../services/notify/proto-map.js';
import { permissionNotification } from '../../../services/notify/telegram/views.js';
import type { Session } from '../../../lib/gen/teamhub/session/v1/session.js';

describe('telegram callback data and notification views', () => {
  it('when ids are long or multi-byte, then the callback data stays within 64 bytes and parses back to prefixes', () => {
    const sid = '0f8e2c1a-7d7b-4c0e-9a55-1d2b3c4d5e6f';
    const rid = `toolu_${'é'.repeat(40)}`;
    for (const action of ['ap', 'dn'] as const) {
      const data = encodeCallbackData(action, sid, rid);
      expect(Buffer.byteLength(data, 'utf8')).to.be.at.most(64);
      const parsed = parseCallbackData(data)!;
      expect(parsed.action).to.equal(action);
      expect(sid.startsWith(parsed.sessionPrefix)).to.equal(true);
      expect(rid.startsWith(parsed.requestPrefix)).to.equal(true);
    }
    expect(bytePrefix('ab:cd', 10)).to.equal('ab');
  });

  it('when callback data is malformed, then it is refused', () => {
    for (const bad of [undefined, '', 'ap', 'ap::x', 'xx:a:b', 'ap:a:b:c', `ap:${'a'.repeat(40)}:${'b'.repeat(30)}`]) {
      expect(parseCallbackData(bad), String(bad)).to.equal(null);
    }
  });

  it('when a prefix matches none or several keys, then no key is chosen', () => {
    expect(uniqueByPrefix(['abc1', 'abd2'], 'abc')).to.equal('abc1');
    expect(uniqueByPrefix(['abc1', 'abc2'], 'abc')).to.equal(null);
    expect(uniqueByPrefix(['abc1'], 'x')).to.equal(null);
  });

  it('when a message is the agent ready event (plain or wrapped), then it is recognised', () => {
    expect(isReadyEvent({ role: 'agent', content: { type: 'event', data: { type: 'ready' } } })).to.equal(true);
    expect(isReadyEvent({ type: 'event', data: { type: 'ready' } })).to.equal(true);
    expect(isReadyEvent({ role: 'agent', content: { type: 'output', data: { type: 'ready' } } })).to.equal(false);
    expect(isReadyEvent(null)).to.equal(false);
  });

  it('when a request asks the user a question, then the notification has no approve/deny buttons', () => {
    const proto = { id: 's1', active: true, metadataJson: JSON.stringify({ path: '/a/b', host: 'h' }), agentStateJson: JSON.stringify({ requests: { q1: { tool: 'AskUserQuestion' }, p1: { tool: 'Bash' } } }) } as Session;
    const s = toSessionView(proto);
    const [q, p] = pendingRequests(s);
    const flat = (n: ReturnType<typeof permissionNotification>) => n.keyboard.inline_keyboard.flat().map((b) => b.text);
    expect(flat(permissionNotification(s, q!, 'https://x.test'))).to.deep.equal(['Open Session']);
    expect(flat(permissionNotification(s, p!, 'https://x.test'))).to.deep.equal(['Approve', 'Deny', 'Details']);
    expect(permissionNotification(s, p!, 'https://x.test').text).to.include('Session: b').and.include('Path: /a/b');
  });
});
