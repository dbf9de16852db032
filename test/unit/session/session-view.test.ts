import { expect } from 'chai';
import type { Session } from '../../../lib/gen/teamhub/session/v1/session.js';
import { sortSessionSummaries, toHapiCliMessage, toHapiMessage, toHapiSession, toHapiSessionSummary } from '../../../gateway/hapi/session-view.js';

function protoSession(over: Partial<Session> = {}): Session {
  return {
    id: '379268eb-a67e-41e4-8619-4658afd4c2a4', namespace: 'alice', tag: 'tag-1', seq: 0, createdAt: 1795618453815,
    updatedAt: 1795618453815, active: false, activeAt: 1795618453815, metadataJson: '{"path":"/tmp/proj","host":"peerhost"}',
    metadataVersion: 1, agentStateJson: undefined, agentStateVersion: 1, thinking: false, thinkingAt: 0, activeTurnStartedAt: undefined,
    backgroundTaskCount: 0, todosUpdatedAt: 0, teamStateUpdatedAt: 0, hasConversationContent: false, pinned: false, lastMessageSeq: 0,
    archived: false, globalPinned: false, ...over,
  };
}

describe('HAPI session view', () => {
  it('when a fresh session is shown, then it is byte-for-byte the Session the reference hub answers', () => {
    expect(JSON.stringify(toHapiSession(protoSession()))).to.equal(
      '{"hasConversationContent":false,"id":"379268eb-a67e-41e4-8619-4658afd4c2a4","namespace":"alice","seq":0,"createdAt":1795618453815,"updatedAt":1795618453815,"pinned":false,"globalPinned":false,"active":false,"activeAt":1795618453815,"metadata":{"path":"/tmp/proj","host":"peerhost"},"metadataVersion":1,"agentState":null,"agentStateVersion":1,"thinking":false,"thinkingAt":0,"activeTurnStartedAt":null,"backgroundTaskCount":0,"todosUpdatedAt":0,"teamStateUpdatedAt":0,"model":null,"modelReasoningEffort":null,"effort":null,"serviceTier":null}',
    );
  });

  it('when todos and a permission mode are set, then they appear where HAPI puts them', () => {
    const keys = Object.keys(toHapiSession(protoSession({ todosJson: '[]', permissionMode: 'yolo' })));
    expect(keys.slice(keys.indexOf('backgroundTaskCount'), keys.indexOf('backgroundTaskCount') + 3)).to.deep.equal(['backgroundTaskCount', 'todos', 'todosUpdatedAt']);
    expect(keys.at(-1)).to.equal('permissionMode');
  });

  it('when listed, then the summary is byte-for-byte the reference hub\'s list item', () => {
    expect(JSON.stringify(toHapiSessionSummary(protoSession()))).to.equal(
      '{"hasConversationContent":false,"id":"379268eb-a67e-41e4-8619-4658afd4c2a4","active":false,"thinking":false,"activeAt":1795618453815,"updatedAt":1795618453815,"pinned":false,"globalPinned":false,"metadata":{"path":"/tmp/proj","flavor":null},"metadataVersion":1,"agentStateVersion":1,"todosUpdatedAt":0,"todoProgress":null,"pendingRequestsCount":0,"pendingRequestKinds":[],"pendingRequests":[],"backgroundTaskCount":0,"futureScheduledMessageCount":0,"nextScheduledAt":null,"model":null,"modelReasoningEffort":null,"effort":null}',
    );
    expect(toHapiSessionSummary(protoSession({ metadataJson: undefined })).metadata).to.equal(null);
  });

  it('when agent state has requests, then count, kinds and the oldest-first list are derived', () => {
    const agentStateJson = JSON.stringify({
      requests: { r2: { tool: 'Bash', arguments: {}, createdAt: 20 }, r1: { tool: 'AskUserQuestion', arguments: {}, createdAt: 10 }, r3: { tool: 'Edit', arguments: {} } },
    });
    const sum = toHapiSessionSummary(protoSession({ agentStateJson, updatedAt: 30, metadataJson: '{"path":"/p","host":"h","name":"n","summary":{"text":"s","updatedAt":1},"flavor":"codex","machineId":"m"}' }));
    expect(sum.pendingRequestsCount).to.equal(3);
    expect(sum.pendingRequestKinds).to.deep.equal(['permission', 'input']);
    expect(sum.pendingRequests).to.deep.equal([
      { id: 'r1', kind: 'input', tool: 'AskUserQuestion', since: 10 },
      { id: 'r2', kind: 'permission', tool: 'Bash', since: 20 },
      { id: 'r3', kind: 'permission', tool: 'Edit', since: 30 },
    ]);
    expect(JSON.stringify(sum.metadata)).to.equal('{"name":"n","path":"/p","machineId":"m","summary":{"text":"s"},"flavor":"codex"}');
  });

  it('when sorting, then globalPinned, pinned, active, pending requests (of active sessions), then recency decide', () => {
    const mk = (id: string, over: Partial<Session>, agentStateJson?: string) => toHapiSessionSummary(protoSession({ id, ...over, agentStateJson }));
    const req = '{"requests":{"a":{"tool":"Bash","arguments":{}}}}';
    const items = [
      mk('old', { updatedAt: 1 }),
      mk('new', { updatedAt: 9 }),
      mk('stale-request', { updatedAt: 0 }, req),
      mk('active', { active: true, updatedAt: 5 }),
      mk('asking', { active: true, updatedAt: 0 }, req),
      mk('pinned', { pinned: true, updatedAt: 0 }),
      mk('global', { globalPinned: true, updatedAt: 0 }),
    ];
    expect(sortSessionSummaries(items).map((s) => s.id)).to.deep.equal(['global', 'pinned', 'asking', 'active', 'new', 'old', 'stale-request']);
  });

  it('when a message is shown, then the web and CLI shapes match the reference key order', () => {
    const m = { id: 'm1', sessionId: 's', seq: 1, createdAt: 5, contentJson: '{"$where":1}', localId: undefined, invokedAt: undefined };
    expect(JSON.stringify(toHapiMessage(m))).to.equal('{"id":"m1","seq":1,"localId":null,"content":{"$where":1},"createdAt":5,"invokedAt":null,"scheduledAt":null}');
    expect(JSON.stringify(toHapiMessage(m, undefined, { withScheduledAt: false }))).to.equal('{"id":"m1","seq":1,"localId":null,"content":{"$where":1},"createdAt":5,"invokedAt":null}');
    expect(JSON.stringify(toHapiCliMessage({ ...m, localId: 'L' }))).to.equal('{"id":"m1","seq":1,"createdAt":5,"localId":"L","content":{"$where":1}}');
  });
});
