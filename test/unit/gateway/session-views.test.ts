import { expect } from 'chai';
import type { Message, Session } from '../../../lib/gen/teamhub/session/v1/session.js';
import { firstUserMessageText, resumeTarget, toResumableRow } from '../../../gateway/hapi/resume-target.js';
import { EXPORT_TAIL, exportHead, exportMessageJson, isExportVisible } from '../../../gateway/hapi/session-export.js';
import { isPermissionModeAllowed, permissionModesFor, supportsEffort, supportsModelChange } from '../../../gateway/hapi/session-rules.js';
import { sortSessionSummaries, toHapiSession, toHapiSessionSummary } from '../../../gateway/hapi/session-view.js';

function session(over: Partial<Session> = {}): Session {
  return {
    id: 's1', namespace: 'alice', tag: 't', seq: 0, createdAt: 1, updatedAt: 2, active: false, activeAt: 1, metadataJson: '{"path":"/p","host":"h"}',
    metadataVersion: 1, agentStateVersion: 1, thinking: false, thinkingAt: 0, backgroundTaskCount: 0, todosUpdatedAt: 0, teamStateUpdatedAt: 0,
    hasConversationContent: false, pinned: false, lastMessageSeq: 0, archived: false, globalPinned: false, ...over,
  };
}
const message = (content: unknown, over: Partial<Message> = {}): Message => ({ id: 'm', sessionId: 's1', seq: 1, createdAt: 5, contentJson: JSON.stringify(content), invokedAt: 5, ...over });

describe('gateway: session rules and views for resume, export and control', () => {
  it("when an agent's permission modes are asked, then they are HAPI's per flavor (unknown flavors have Claude's; Pi and dsh none)", () => {
    expect(permissionModesFor('claude')).to.deep.equal(['default', 'acceptEdits', 'auto', 'bypassPermissions', 'plan']);
    expect(permissionModesFor('something-new')).to.deep.equal(permissionModesFor('claude'));
    expect(permissionModesFor('pi')).to.deep.equal([]);
    expect([isPermissionModeAllowed('yolo', 'codex'), isPermissionModeAllowed('yolo', 'claude'), isPermissionModeAllowed('ask', 'cursor')]).to.deep.equal([true, false, true]);
    expect([supportsModelChange('dsh'), supportsModelChange('codex'), supportsEffort('codex'), supportsEffort('pi')]).to.deep.equal([false, true, false, true]);
  });

  it('when a session has a path and its agent session id, then its resume target carries HAPI\'s fields; otherwise resume_unavailable', () => {
    const s = session({ active: true, model: 'opus', permissionMode: 'plan', metadataJson: '{"path":"/p","host":"h","machineId":"m1","flavor":"codex","codexSessionId":"c-1"}', agentStateJson: '{"controlledByUser":true}' });
    const t = resumeTarget(s);
    expect(t.type).to.equal('success');
    expect(JSON.parse(JSON.stringify(t.type === 'success' ? t.target : null))).to.deep.equal({
      sessionId: 's1', flavor: 'codex', directory: '/p', machineId: 'm1', host: 'h', active: true, thinking: false, controlledByUser: true,
      agentSessionId: 'c-1', model: 'opus', effort: null, modelReasoningEffort: null, permissionMode: 'plan',
    });
    expect(resumeTarget(session({ metadataJson: '{"path":"/p","host":"h","flavor":"claude","codexSessionId":"c"}' })).type, 'another agent\'s id does not count').to.equal('error');
    expect(resumeTarget(session({ metadataJson: '{"host":"h","claudeSessionId":"c"}' }))).to.deep.equal({ type: 'error', code: 'resume_unavailable', message: 'Session metadata missing path' });
    expect(resumeTarget(session({ metadataJson: '{"path":"/p","host":"h","flavor":"dsh"}' })).type).to.equal('error');
  });

  it('when a resumable row is built, then name, summary text and the first user message label it', () => {
    const s = session({ updatedAt: 9, metadataJson: '{"path":"/p","host":"h","name":"n","summary":{"text":"sum","updatedAt":1}}' });
    expect(toResumableRow(s, { sessionId: 's1' }, 'hello')).to.deep.equal({ sessionId: 's1', updatedAt: 9, name: 'n', summary: 'sum', firstUserMessage: 'hello' });
    const text = firstUserMessageText([
      message({ role: 'agent', content: { type: 'text', text: 'not this' } }),
      message({ role: 'user', content: [{ type: 'text', text: '  fix\nthe ' }, { type: 'image' }, { type: 'text', text: 'parser' }] }),
    ]);
    expect(text).to.equal('fix the parser');
    expect(firstUserMessageText([message({ role: 'user', content: { type: 'text', text: '   ' } })])).to.equal(undefined);
  });

  it("when an export is written, then queued user messages and Claude's meta and hidden system output are left out, and the pieces make one JSON document", () => {
    const queued = message({ role: 'user', content: { type: 'text', text: 'later' } }, { invokedAt: undefined });
    const meta = message({ role: 'agent', content: { type: 'output', data: { type: 'user', isMeta: true } } });
    const progress = message({ role: 'agent', content: { type: 'output', data: { type: 'tool_progress' } } });
    const init = message({ role: 'agent', content: { type: 'output', data: { type: 'system', subtype: 'init' } } });
    const turn = message({ role: 'agent', content: { type: 'output', data: { type: 'system', subtype: 'turn_duration' } } });
    const said = message({ role: 'agent', content: { type: 'text', text: 'done' } });
    const visible = [queued, meta, progress, init, turn, said].map((m) => isExportVisible(m, JSON.parse(m.contentJson)));
    expect(visible).to.deep.equal([false, false, false, false, true, true]);
    const doc = exportHead(session(), 42) + [said, turn].map(exportMessageJson).join(',') + EXPORT_TAIL;
    const parsed = JSON.parse(doc);
    expect(Object.keys(parsed)).to.deep.equal(['schemaVersion', 'exportedAt', 'session', 'messages', 'scratchlist']);
    expect(parsed).to.include({ schemaVersion: 2, exportedAt: 42 });
    expect(parsed.messages[0]).to.deep.equal({ id: 'm', seq: 1, localId: null, content: { role: 'agent', content: { type: 'text', text: 'done' } }, createdAt: 5, invokedAt: 5, scheduledAt: null });
  });

  it('when settings and pins are set, then the HAPI session and summary show them where HAPI does', () => {
    const s = session({ globalPinned: true, collaborationMode: 'plan', copilotAgentMode: 'autopilot', permissionMode: 'default', metadataJson: '{"path":"/p","host":"h","flavor":"codex","codexSessionId":" c-9 ","hapiMcpUrl":"http://127.0.0.1:1/mcp"}' });
    const full = toHapiSession(s);
    expect(Object.keys(full).slice(-3)).to.deep.equal(['permissionMode', 'collaborationMode', 'copilotAgentMode']);
    expect(full).to.include({ globalPinned: true, collaborationMode: 'plan' });
    const summary = toHapiSessionSummary(s);
    expect(summary).to.include({ globalPinned: true });
    expect(summary.metadata).to.deep.equal({ path: '/p', flavor: 'codex', agentSessionId: 'c-9', hapiMcpUrl: 'http://127.0.0.1:1/mcp' });
  });

  it('when summaries are sorted, then pending requests count only among active sessions, as HAPI sorts', () => {
    const row = (id: string, active: boolean, pending: number, updatedAt: number) => ({ ...toHapiSessionSummary(session({ id, active, updatedAt })), pendingRequestsCount: pending });
    const sorted = sortSessionSummaries([row('old-pending', false, 3, 1), row('new-idle', false, 0, 5), row('live', true, 0, 2), row('live-asking', true, 1, 1)]);
    expect(sorted.map((s) => s.id)).to.deep.equal(['live-asking', 'live', 'new-idle', 'old-pending']);
  });
});
